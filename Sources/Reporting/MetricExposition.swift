import Foundation

/// One metric family in Prometheus' text exposition format: its HELP and TYPE lines and its samples, in the
/// order they are written.
struct MetricFamily: Sendable, Equatable {
    typealias Sample = (labels: [(String, String)], value: Double)

    var name: String
    var lines: [String]

    /// A gauge with its samples; nil when there are none, since a family without samples says nothing.
    static func gauge(_ name: String, help: String, _ samples: [Sample]) -> MetricFamily? {
        guard !samples.isEmpty else { return nil }
        return MetricFamily(
            name: name,
            lines: ["# HELP \(name) \(help)", "# TYPE \(name) gauge"]
                + samples.map { name + labelSet($0.labels) + " " + number($0.value) })
    }

    /// The exposition format's own escaping for label values: backslash, quote, newline.
    static func labelSet(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        let parts = labels.map { name, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "\(name)=\"\(escaped)\""
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.3f", value)
    }
}

/// A whole textfile: families in order, each name once. Reading one back keeps only lines it understands (HELP
/// and TYPE once per family, samples with a valid name, labels and value), so what it writes again is a valid
/// textfile even when what it read was not — node_exporter drops a whole file for one bad line.
struct MetricExposition: Sendable, Equatable {
    var families: [MetricFamily]

    var bytes: [UInt8] {
        Array(families.flatMap(\.lines).map { $0 + "\n" }.joined().utf8)
    }

    /// The families without those named, e.g. to replace them.
    func removing(_ names: Set<String>) -> MetricExposition {
        MetricExposition(families: families.filter { !names.contains($0.name) })
    }

    nonisolated(unsafe) static let sample =
        /^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{\s*(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"\s*(?:,\s*)?)*\})?[ \t]+(?<value>[-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN))(?:[ \t]+-?[0-9]+)?[ \t]*$/
    nonisolated(unsafe) static let descriptor =
        /^#[ \t]+(?<kind>HELP|TYPE)[ \t]+(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:[ \t]+(?<rest>.*))?$/
    static let types: Set<String> = ["counter", "gauge", "histogram", "summary", "untyped"]

    static func parse(_ text: String) -> MetricExposition {
        var order: [String] = []
        var help: [String: String] = [:]
        var type: [String: String] = [:]
        var samples: [String: [String]] = [:]
        func note(_ name: String) {
            if help[name] == nil && type[name] == nil && samples[name] == nil { order.append(name) }
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
            if let match = line.wholeMatch(of: descriptor) {
                let name = String(match.name)
                if match.kind == "HELP" {
                    guard help[name] == nil else { continue }
                    note(name)
                    help[name] = line
                } else {
                    guard type[name] == nil, let rest = match.rest, types.contains(String(rest)),
                          samples[name] == nil else { continue }
                    note(name)
                    type[name] = line
                }
            } else if let match = line.wholeMatch(of: sample) {
                // Histogram and summary samples belong to the family their TYPE line names.
                var name = String(match.name)
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                    let base = String(name.dropLast(suffix.count))
                    if let declared = type[base], !declared.hasSuffix(" gauge"), !declared.hasSuffix(" counter") { name = base }
                }
                note(name)
                samples[name, default: []].append(line)
            }
        }
        return MetricExposition(families: order.compactMap { name in
            // A HELP or TYPE line with no sample is dropped with its family: it would describe nothing.
            guard let lines = samples[name] else { return nil }
            return MetricFamily(name: name, lines: [help[name], type[name]].compactMap { $0 } + lines)
        })
    }
}
