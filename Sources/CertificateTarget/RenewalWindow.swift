import SSCCProfile
import CertDoctorCore
import Foundation

/// How many days before `notAfter` a certificate should be renewed: the profile's `renewalWindowDays`, or
/// `--warn-days`. Inside the window a valid certificate still passes, but the verdict says to renew now.
enum RenewalWindowKey: EnvironmentKey {
    static let defaultValue: Int? = nil
}

extension Environment {
    /// `--warn-days`, when given; otherwise the profile's window applies.
    public var warnDays: Int? {
        get { self[RenewalWindowKey.self] }
        set { self[RenewalWindowKey.self] = newValue }
    }
}

public enum RenewalWindow {
    public static func days(_ environment: Environment) -> Int {
        environment.warnDays ?? environment.profile?.renewalWindow ?? 30
    }

    /// Whole days left, counted down: 11.9 days left is 11.
    public static func daysLeft(until notAfter: Date, from now: Date) -> Int {
        Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }

    public static func day(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle().year().month().day())
    }
}
