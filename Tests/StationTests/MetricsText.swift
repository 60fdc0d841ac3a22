import Foundation

/// A parsed Prometheus text exposition (what `/metrics` serves): samples by `name{labels}` as written, and types.
struct MetricsText {
    /// `name` or `name{a="x",b="y"}` (labels in the order served) → value.
    var samples: [String: Double] = [:]
    /// Metric family → `counter`, `gauge`, `histogram`.
    var types: [String: String] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " ") else { continue }
            samples[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
    }

    /// The sample with exactly these labels (in this order), if served.
    func value(_ name: String, _ labels: KeyValuePairs<String, String> = [:]) -> Double? {
        guard !labels.isEmpty else { return samples[name] }
        let text = labels.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
        return samples["\(name){\(text)}"]
    }

    /// The sum over every sample of `name` whatever its labels.
    func total(_ name: String) -> Double {
        samples.filter { $0.key == name || $0.key.hasPrefix(name + "{") }.values.reduce(0, +)
    }
}
