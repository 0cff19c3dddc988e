/// All checks of a run, by id, from every source: built-in, manifests and plugins.
/// Registering an id twice is an error at start-up, never a silent override.
public struct CheckRegistry: Sendable {
    public private(set) var checks: [any Check] = []
    private var indexByID: [String: Int] = [:]

    public init() {}

    public init(_ checks: [any Check]) throws(CoreError) {
        for check in checks { try register(check) }
    }

    public mutating func register(_ check: any Check) throws(CoreError) {
        let description = check.description
        guard CheckDescription.isValidID(description.id) else {
            throw .invalidCheckID(description.id, source: description.source.description)
        }
        guard indexByID[description.id] == nil else { throw .duplicateCheckID(description.id) }
        indexByID[description.id] = checks.count
        checks.append(check)
    }

    public subscript(id: String) -> (any Check)? {
        indexByID[id].map { checks[$0] }
    }

    public var ids: [String] { checks.map(\.description.id) }

    /// Checks in an order where every dependency comes before its dependents; unknown dependencies are left
    /// for the runner to report, a cycle is an error.
    public func dependencyOrder() throws(CoreError) -> [any Check] {
        var ordered: [any Check] = []
        var state: [String: Bool] = [:]  // false: visiting, true: done
        func visit(_ check: any Check, path: [String]) throws(CoreError) {
            let id = check.description.id
            if state[id] == true { return }
            if state[id] == false { throw .dependencyCycle(path + [id]) }
            state[id] = false
            for dependency in check.description.dependencies {
                if let next = self[dependency] { try visit(next, path: path + [id]) }
            }
            state[id] = true
            ordered.append(check)
        }
        for check in checks { try visit(check, path: []) }
        return ordered
    }

    /// Every word `--only`/`--skip` accepts: the check ids and their categories.
    public var selectors: [String] {
        ids + checks.map(\.description.category).filter { !$0.isEmpty }
    }

    /// Refuses a selection word that names neither a check nor a category: a typo in `--only` would otherwise
    /// select nothing, and a run that examined nothing must not read as a green one.
    public func validateSelection(only: [String], skip: [String]) throws(SelectionError) {
        let known = Set(selectors)
        for (option, names) in [("--only", only), ("--skip", skip)] {
            if let unknown = names.first(where: { !known.contains($0) }) {
                throw SelectionError(
                    option: option, name: unknown, suggestions: NearestNames.suggestions(for: unknown, among: selectors))
            }
        }
    }

    /// The selected checks plus everything they depend on. `only` and `skip` take ids or categories.
    public func selection(only: [String], skip: [String]) -> Set<String> {
        func matches(_ check: any Check, _ names: [String]) -> Bool {
            names.contains(check.description.id) || names.contains(check.description.category)
        }
        var selected = Set(checks.filter { (only.isEmpty || matches($0, only)) && !matches($0, skip) }.map(\.description.id))
        var frontier = Array(selected)
        while let id = frontier.popLast() {
            for dependency in self[id]?.description.dependencies ?? [] where !selected.contains(dependency) {
                if let check = self[dependency], !matches(check, skip) {
                    selected.insert(dependency)
                    frontier.append(dependency)
                }
            }
        }
        return selected
    }
}

/// A `--only`/`--skip` word that is neither a check id nor a category.
public struct SelectionError: Error, LocalizedMessage, CommandEndingProviding, Sendable, Equatable {
    public var option: String
    public var name: String
    public var suggestions: [String]

    public init(option: String, name: String, suggestions: [String]) {
        self.option = option
        self.name = name
        self.suggestions = suggestions
    }

    public var localizedMessage: Localized {
        let base = Localized(
            zh: "\(option)：未知的检查项或类别“\(name)”", en: "\(option): unknown check or category '\(name)'")
        guard !suggestions.isEmpty else {
            return base + Localized(
                zh: "（certdoctor list-checks 列出全部检查项）", en: " (certdoctor list-checks lists them all)")
        }
        let list = suggestions.joined(separator: ", ")
        return base + Localized(zh: "——是否要输入 \(list)？", en: " — did you mean \(list)?")
    }

    public var ending: CommandEnding { .usage }
}
