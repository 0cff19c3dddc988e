import COpenSSL
import COpenSSLShims
import Foundation
import Synchronization

/// The password-based steps of opening one PKCS#12 file, taken at the same time before the reader's pass.
///
/// Each step — verifying the MAC, decrypting an encrypted safe, decrypting and decoding the shrouded key of a
/// plain safe — starts with a key derivation of thousands of rounds, and together they are most of an open (three
/// derivations where `openssl pkcs12 -info -noout` does two). None needs another's result, so they run on the
/// machine's cores at once; the reader's pass in file order then takes what they found instead of doing the
/// step itself. Only successes are kept: a step that failed is left for the pass to take again on its own thread,
/// so that its errors are read and classified exactly as when nothing ran ahead (the MAC's verdict decides
/// whether a failed decryption is a wrong password). A step the pass never asks for (the key bag of a later safe
/// when an earlier one held a key) costs time and nothing else.
///
/// The steps read the one decoded file and the safes unpacked from it; OpenSSL's decoders and key derivations
/// only read their inputs, and each thread has its own error queue, cleared when its step ends.
final class PKCS12PasswordSteps {
    /// True when the MAC was verified ahead with the password; nil when it was not or did not verify.
    private(set) var macVerified: Bool?
    /// Bags of each plain (`data`) safe, unpacked before the steps so that their key bags can be decrypted
    /// ahead; by safe index.
    private var plainBags: [Int: OpaquePointer] = [:]
    /// Bags of each encrypted safe that decrypted; by safe index.
    private var decryptedBags: [Int: OpaquePointer] = [:]
    /// The key of the first shrouded key bag of a plain safe, decrypted and decoded; by the bag.
    private var keys: [OpaquePointer: PrivateKey] = [:]

    /// Runs the steps of `p12`, whose safes are `safes`, with `password` (not empty: an empty password may have
    /// been applied as NULL or as "", which only the MAC's verification in the pass can tell).
    init(_ p12: OpaquePointer, safes: OpaquePointer, password: String) {
        var steps: [Step] = []
        for index in 0..<cd_sk_PKCS7_num(safes) {
            guard let safe = cd_sk_PKCS7_value(safes, index) else { continue }
            switch cd_pkcs7_type_nid(safe) {
            case NID_pkcs7_data:
                guard let bags = PKCS12_unpack_p7data(safe) else { continue }
                plainBags[Int(index)] = bags
                if let bag = Self.firstShroudedKeyBag(in: bags) { steps.append(.key(bag)) }
            case NID_pkcs7_encrypted:
                steps.append(.encryptedSafe(Int(index), safe))
            default:
                continue
            }
        }
        ERR_clear_error()
        if PKCS12_mac_present(p12) == 1 { steps.append(.mac(p12)) }
        // The key first: decoding it after its derivation makes it the longest step.
        steps.sort { $0.order < $1.order }
        OpenSSLRuntime.fillCipherTable()
        let outcomes = Self.take(UnsafeSteps(steps), password: password)
        for (index, outcome) in outcomes {
            switch (steps[index], outcome) {
            case (.mac, .macVerified): macVerified = true
            case (.encryptedSafe(let safeIndex, _), .bags(let bags)): decryptedBags[safeIndex] = bags.pointer
            case (.key(let bag), .key(let key)): keys[bag] = key
            default: continue
            }
        }
    }

    /// Takes the steps on the calling thread and as many more threads as there are other cores, each thread
    /// taking the next step not yet taken. Plain threads, not `concurrentPerform`: libdispatch's pool woke and
    /// parked its workers some two hundred times for three steps.
    private static func take(_ work: UnsafeSteps, password: String) -> [Int: Outcome] {
        let queue = StepQueue(work, password: password)
        let helpers = max(min(work.steps.count, ProcessInfo.processInfo.activeProcessorCount) - 1, 0)
        let finished = DispatchSemaphore(value: 0)
        for _ in 0..<helpers {
            Thread {
                queue.takeSteps()
                finished.signal()
            }.start()
        }
        queue.takeSteps()
        for _ in 0..<helpers { finished.wait() }
        return queue.outcomes.withLock { $0 }
    }

    /// The steps and what came of them, shared by the threads that take them.
    private final class StepQueue: Sendable {
        let work: UnsafeSteps
        let password: String
        let next = Atomic<Int>(0)
        let outcomes = Mutex<[Int: Outcome]>([:])

        init(_ work: UnsafeSteps, password: String) {
            self.work = work
            self.password = password
        }

        func takeSteps() {
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < work.steps.count else { return }
                let outcome = work.steps[index].take(password: password)
                ERR_clear_error()
                outcomes.withLock { $0[index] = outcome }
            }
        }
    }

    deinit {
        for bags in plainBags.values { cd_sk_PKCS12_SAFEBAG_pop_free(bags) }
        for bags in decryptedBags.values { cd_sk_PKCS12_SAFEBAG_pop_free(bags) }
    }

    /// The bags of safe `index` as unpacked or decrypted ahead, owned by the steps; nil when the pass must
    /// take the step itself.
    func bags(ofSafe index: Int32) -> OpaquePointer? {
        plainBags[Int(index)] ?? decryptedBags[Int(index)]
    }

    /// The key of a shrouded key bag that was decrypted and decoded ahead.
    func key(of bag: OpaquePointer) -> PrivateKey? {
        keys[bag]
    }

    /// How many steps ran ahead and succeeded (tests ask, to know that the pass took their results).
    var succeeded: Int {
        (macVerified == true ? 1 : 0) + decryptedBags.count + keys.count
    }

    private static func firstShroudedKeyBag(in bags: OpaquePointer) -> OpaquePointer? {
        for index in 0..<cd_sk_PKCS12_SAFEBAG_num(bags) {
            if let bag = cd_sk_PKCS12_SAFEBAG_value(bags, index), PKCS12_SAFEBAG_get_nid(bag) == NID_pkcs8ShroudedKeyBag {
                return bag
            }
        }
        return nil
    }

    private enum Step {
        case mac(OpaquePointer)
        case encryptedSafe(Int, UnsafeMutablePointer<PKCS7>)
        case key(OpaquePointer)

        var order: Int {
            switch self {
            case .key: 0
            case .encryptedSafe: 1
            case .mac: 2
            }
        }

        func take(password: String) -> Outcome {
            password.withCString { text in
                let length = Int32(strlen(text))
                switch self {
                case .mac(let p12):
                    return PKCS12_verify_mac(p12, text, length) == 1 ? .macVerified : .failed
                case .encryptedSafe(_, let safe):
                    return PKCS12_unpack_p7encdata(safe, text, length).map { .bags(UnsafeBags(pointer: $0)) } ?? .failed
                case .key(let bag):
                    guard let info = PKCS12_decrypt_skey(bag, text, length) else { return .failed }
                    defer { PKCS8_PRIV_KEY_INFO_free(info) }
                    guard let evpKey = EVP_PKCS82PKEY(info) else { return .failed }
                    defer { EVP_PKEY_free(evpKey) }
                    return (try? PrivateKey(borrowing: evpKey, decodedFrom: info)).map { .key($0) } ?? .failed
                }
            }
        }
    }

    private enum Outcome: Sendable {
        case macVerified
        case bags(UnsafeBags)
        case key(PrivateKey)
        case failed
    }

    /// A stack of bags made on a step's thread and handed to the pass once every step has ended.
    private struct UnsafeBags: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// The steps, read by the threads that take them while nothing changes them.
    private struct UnsafeSteps: @unchecked Sendable {
        let steps: [Step]
        init(_ steps: [Step]) { self.steps = steps }
    }
}
