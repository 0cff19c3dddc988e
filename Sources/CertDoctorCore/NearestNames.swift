/// The names closest to a mistyped one, as `git` and `cargo` suggest them ("did you mean …?"): by edit
/// distance (an adjacent swap counts as one edit), close enough that the suggestion is likely what was meant.
public enum NearestNames {
    /// Up to `limit` candidates nearest to `word`, nearest first; none when nothing is close.
    public static func suggestions(for word: String, among candidates: [String], limit: Int = 3) -> [String] {
        let typed = Array(word.lowercased())
        // A third of the word's length, at least one and at most three edits: "cert.valdity" → cert.validity,
        // but "foo" suggests nothing from a list of dotted ids.
        let allowed = min(3, max(1, typed.count / 3))
        let scored = Set(candidates).compactMap { candidate -> (String, Int)? in
            let distance = editDistance(typed, Array(candidate.lowercased()))
            let prefixMatch = typed.count >= 3 && candidate.lowercased().hasPrefix(String(typed))
            guard distance <= allowed || prefixMatch else { return nil }
            return (candidate, prefixMatch ? min(distance, allowed) : distance)
        }
        return scored.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.
    static func editDistance(_ lhs: [Character], _ rhs: [Character]) -> Int {
        if lhs.isEmpty { return rhs.count }
        if rhs.isEmpty { return lhs.count }
        var previousPrevious = [Int](repeating: 0, count: rhs.count + 1)
        var previous = Array(0...rhs.count)
        var current = [Int](repeating: 0, count: rhs.count + 1)
        for i in 1...lhs.count {
            current[0] = i
            for j in 1...rhs.count {
                let cost = lhs[i - 1] == rhs[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, lhs[i - 1] == rhs[j - 2], lhs[i - 2] == rhs[j - 1] {
                    current[j] = min(current[j], previousPrevious[j - 2] + 1)
                }
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[rhs.count]
    }
}
