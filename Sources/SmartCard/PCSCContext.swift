internal import CPCSCLite
import Foundation

/// What one reader reports: its name and, when a card sits in it, the card's ATR.
public struct ReaderState: Hashable, Sendable {
    public let name: String
    public let cardPresent: Bool
    public let atr: ATR?
    /// The card does not answer (pcsc-lite's `SCARD_STATE_MUTE`).
    public let isMute: Bool
    /// pcsc-lite counts card insertions and removals in the high 16 bits of the event state; a
    /// changed count tells a swapped card from the same card.
    public let eventCount: Int

    public init(name: String, cardPresent: Bool, atr: ATR?, isMute: Bool = false, eventCount: Int = 0) {
        self.name = name
        self.cardPresent = cardPresent
        self.atr = atr
        self.isMute = isMute
        self.eventCount = eventCount
    }

    /// The raw pcsc-lite event state this value was read from, to hand back when waiting for a change.
    var rawState: DWORD {
        let counter = DWORD(eventCount & 0xFFFF) << 16
        return counter | (cardPresent ? DWORD(SCARD_STATE_PRESENT) : DWORD(SCARD_STATE_EMPTY))
    }
}

/// The card in a reader as seen through a connection (SCardConnect + SCardStatus).
public struct CardStatus: Hashable, Sendable {
    public let readerName: String
    public let atr: ATR
    /// `T=0`, `T=1` or `raw`.
    public let activeProtocol: String
}

/// A PC/SC application context (SCardEstablishContext) on the host's pcscd.
///
/// Every call that talks to pcscd runs on a dedicated thread under a deadline, because a
/// service that accepts and never answers would otherwise block forever (see `DeadlineThread`).
/// pcsc-lite serialises the calls made on one context itself, so the handle may be used from
/// any task.
public final class PCSCContext: @unchecked Sendable {
    private let handle: SCARDCONTEXT
    /// The per-call time limit used when a method is not given one.
    public let timeout: Duration

    private init(handle: SCARDCONTEXT, timeout: Duration) {
        self.handle = handle
        self.timeout = timeout
    }

    deinit {
        // Releasing also talks to pcscd; on a hung service it must not hold the releasing thread.
        let handle = handle
        Thread.detachNewThread { _ = SCardReleaseContext(handle) }
    }

    /// Connects to pcscd. `PCSCLITE_CSOCK_NAME` in the environment moves the client socket.
    public static func establish(timeout: Duration = .seconds(5)) async throws(PCSCError) -> PCSCContext {
        let result = await DeadlineThread.run("SCardEstablishContext", timeout: timeout) { () -> Result<SCardContextHandle, PCSCError> in
            var handle: SCARDCONTEXT = 0
            let code = SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &handle)
            guard code == SCARD_S_SUCCESS else { return .failure(PCSCError(code: code)) }
            return .success(SCardContextHandle(value: handle))
        }
        return PCSCContext(handle: try result.get().value, timeout: timeout)
    }

    /// The names of all readers; `.noReaders` when there are none (pcsc-lite fails rather than
    /// returning an empty list).
    public func readerNames() async throws(PCSCError) -> [String] {
        let handle = handle
        return try await DeadlineThread.run("SCardListReaders", timeout: timeout) {
            Self.listReaders(handle)
        }.get()
    }

    /// The current state of every reader, read without waiting for a change.
    public func readerStates() async throws(PCSCError) -> [ReaderState] {
        let handle = handle
        return try await DeadlineThread.run("SCardGetStatusChange", timeout: timeout) { () -> Result<[ReaderState], PCSCError> in
            let names: [String]
            switch Self.listReaders(handle) {
            case let .success(list): names = list
            case let .failure(error): return .failure(error)
            }
            return Self.statusChange(handle, names.map { ($0, DWORD(SCARD_STATE_UNAWARE)) }, wait: 0).map { $0 ?? [] }
        }.get()
    }

    /// Waits until some reader in `states` changes (a card inserted or removed) or `wait` has
    /// passed, and returns the readers' states then. A reader that disappears shows as empty.
    public func waitForChange(from states: [ReaderState], wait: Duration) async throws(PCSCError) -> [ReaderState] {
        let handle = handle
        let known = states.map { ($0.name, $0.rawState) }
        let milliseconds = DWORD(max(0, wait.seconds * 1000))
        let result = await DeadlineThread.run("SCardGetStatusChange", timeout: wait + timeout) {
            Self.statusChange(handle, known, wait: milliseconds)
        }.map { changed in changed ?? states }
        if case .failure(.timeout) = result {
            // Unblocks a wait that pcscd still honours; harmless when the socket is dead.
            Thread.detachNewThread { _ = SCardCancel(handle) }
        }
        return try result.get()
    }

    /// Connects to the card in `reader` (shared) and reads its ATR and protocol.
    public func cardStatus(reader: String) async throws(PCSCError) -> CardStatus {
        let handle = handle
        return try await DeadlineThread.run("SCardConnect", timeout: timeout) { () -> Result<CardStatus, PCSCError> in
            var card: SCARDHANDLE = 0
            var activeProtocol: DWORD = 0
            let protocols = DWORD(SCARD_PROTOCOL_T0) | DWORD(SCARD_PROTOCOL_T1)
            let connected = SCardConnect(handle, reader, DWORD(SCARD_SHARE_SHARED), protocols, &card, &activeProtocol)
            guard connected == SCARD_S_SUCCESS else { return .failure(PCSCError(code: connected)) }
            defer { _ = SCardDisconnect(card, DWORD(SCARD_LEAVE_CARD)) }

            var atr = [UInt8](repeating: 0, count: Int(MAX_ATR_SIZE))
            var atrLength = DWORD(atr.count)
            var nameLength = DWORD(0)
            var state = DWORD(0)
            var statusProtocol = DWORD(0)
            let status = SCardStatus(card, nil, &nameLength, &state, &statusProtocol, &atr, &atrLength)
            guard status == SCARD_S_SUCCESS else { return .failure(PCSCError(code: status)) }
            let name = switch statusProtocol {
            case DWORD(SCARD_PROTOCOL_T0): "T=0"
            case DWORD(SCARD_PROTOCOL_T1): "T=1"
            default: "raw"
            }
            return .success(CardStatus(
                readerName: reader, atr: ATR(bytes: Array(atr.prefix(Int(atrLength)))), activeProtocol: name
            ))
        }.get()
    }

    private static func listReaders(_ handle: SCARDCONTEXT) -> Result<[String], PCSCError> {
        var length = DWORD(0)
        var code = SCardListReaders(handle, nil, nil, &length)
        guard code == SCARD_S_SUCCESS else { return .failure(PCSCError(code: code)) }
        var buffer = [CChar](repeating: 0, count: Int(length))
        code = SCardListReaders(handle, nil, &buffer, &length)
        guard code == SCARD_S_SUCCESS else { return .failure(PCSCError(code: code)) }
        // A multi-string: names separated by NUL, ended by an empty name.
        let names = buffer.split(separator: 0, omittingEmptySubsequences: true).map { chars in
            String(decoding: chars.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return names.isEmpty ? .failure(.noReaders) : .success(names)
    }

    /// The readers' states after a change, or nil when nothing changed within `wait`.
    private static func statusChange(
        _ handle: SCARDCONTEXT, _ readers: [(String, DWORD)], wait: DWORD
    ) -> Result<[ReaderState]?, PCSCError> {
        guard !readers.isEmpty else { return .failure(.noReaders) }
        // The reader names must stay valid for the whole call, so they are copied into C strings
        // owned here and freed afterwards.
        let names = readers.map { strdup($0.0) }
        defer { names.forEach { free($0) } }
        var states = zip(names, readers).map { name, reader in
            var state = SCARD_READERSTATE()
            state.szReader = UnsafePointer(name)
            state.dwCurrentState = reader.1
            return state
        }
        let code = SCardGetStatusChange(handle, wait, &states, DWORD(states.count))
        if code == SCARD_E_TIMEOUT { return .success(nil) }
        guard code == SCARD_S_SUCCESS else { return .failure(PCSCError(code: code)) }
        return .success(zip(readers, states).map { reader, state in
            Self.readerState(name: reader.0, state: state)
        })
    }

    private static func readerState(name: String, state: SCARD_READERSTATE) -> ReaderState {
        let event = state.dwEventState
        let flags = event & 0xFFFF
        let present = flags & DWORD(SCARD_STATE_PRESENT) != 0
        var atr: ATR?
        if present {
            let bytes = withUnsafeBytes(of: state.rgbAtr) { Array($0.prefix(Int(state.cbAtr))) }
            atr = bytes.isEmpty ? nil : ATR(bytes: bytes)
        }
        return ReaderState(
            name: name,
            cardPresent: present,
            atr: atr,
            isMute: flags & DWORD(SCARD_STATE_MUTE) != 0,
            eventCount: Int((event >> 16) & 0xFFFF)
        )
    }
}

/// SCARDCONTEXT crossing from the dedicated thread back to the caller.
private struct SCardContextHandle: Sendable {
    let value: SCARDCONTEXT
}
