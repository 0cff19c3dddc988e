/// Every reader pcscd knows and what sits in it.
public struct ReaderInventory: Sendable, Equatable {
    public let readers: [ReaderState]

    public init(readers: [ReaderState]) {
        self.readers = readers
    }

    /// Reads the readers once. A service without readers is an empty inventory; a missing or
    /// hanging service throws (`.noService`, `.timeout`).
    public static func read(timeout: Duration = .seconds(5)) async throws(PCSCError) -> ReaderInventory {
        let context = try await PCSCContext.establish(timeout: timeout)
        return try await read(context: context)
    }

    public static func read(context: PCSCContext) async throws(PCSCError) -> ReaderInventory {
        do {
            return ReaderInventory(readers: try await context.readerStates())
        } catch .noReaders {
            return ReaderInventory(readers: [])
        }
    }

    public var cardsPresent: [ReaderState] {
        readers.filter(\.cardPresent)
    }
}

/// A card recognised as a token of a known model.
public struct DetectedToken: Sendable, Equatable {
    public let readerName: String
    public let atr: ATR
    public let model: TokenModel
}

/// The readers sorted by what they hold: tokens of known models, other cards (listed and
/// ignored, R11), and empty readers.
public struct TokenInventory: Sendable, Equatable {
    public let tokens: [DetectedToken]
    public let otherCards: [ReaderState]
    public let emptyReaders: [String]

    public init(readers: ReaderInventory, database: TokenDatabase) {
        var tokens: [DetectedToken] = []
        var others: [ReaderState] = []
        var empty: [String] = []
        for reader in readers.readers {
            guard reader.cardPresent else {
                empty.append(reader.name)
                continue
            }
            if let atr = reader.atr, let model = database.model(matching: atr) {
                tokens.append(DetectedToken(readerName: reader.name, atr: atr, model: model))
            } else {
                others.append(reader)
            }
        }
        self.tokens = tokens
        self.otherCards = others
        self.emptyReaders = empty
    }

    public func tokens(of modelID: String) -> [DetectedToken] {
        tokens.filter { $0.model.id == modelID }
    }
}
