import Foundation

/// Everything that can go wrong reading, validating or transforming XML.
public enum XMLError: Error, Equatable, Sendable, LocalizedError {
    /// The bytes are not well-formed XML; `line` is where libxml2 stopped (1-based).
    case malformed(file: String, line: Int, message: String)
    /// The file could not be read at all.
    case unreadable(path: String, reason: String)
    /// An XPath expression did not compile or could not be evaluated.
    case invalidXPath(expression: String, message: String)
    /// An XSD is well-formed XML but not a usable schema.
    case invalidSchema(file: String, line: Int, message: String)
    /// An XSLT stylesheet did not compile.
    case invalidStylesheet(file: String, messages: [String])
    /// Applying a stylesheet failed.
    case transformFailed(messages: [String])
    /// libxml2 could not serialise a document (out of memory or an encoding problem).
    case serializationFailed

    public var errorDescription: String? {
        switch self {
        case let .malformed(file, line, message):
            return "\(file):\(line): malformed XML: \(message)"
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .invalidXPath(expression, message):
            return "invalid XPath expression \(expression): \(message)"
        case let .invalidSchema(file, line, message):
            return "\(file):\(line): invalid XML schema: \(message)"
        case let .invalidStylesheet(file, messages):
            return "\(file): invalid XSLT stylesheet: \(messages.joined(separator: "; "))"
        case let .transformFailed(messages):
            return "XSLT transformation failed: \(messages.joined(separator: "; "))"
        case .serializationFailed:
            return "the XML document could not be serialised"
        }
    }

    public var chineseDescription: String {
        switch self {
        case let .malformed(file, line, message):
            return "\(file):\(line)：XML 格式错误：\(message)"
        case let .unreadable(path, reason):
            return "无法读取 \(path)：\(reason)"
        case let .invalidXPath(expression, message):
            return "XPath 表达式 \(expression) 无效：\(message)"
        case let .invalidSchema(file, line, message):
            return "\(file):\(line)：XML 架构（XSD）无效：\(message)"
        case let .invalidStylesheet(file, messages):
            return "\(file)：XSLT 样式表无效：\(messages.joined(separator: "；"))"
        case let .transformFailed(messages):
            return "XSLT 转换失败：\(messages.joined(separator: "；"))"
        case .serializationFailed:
            return "无法序列化 XML 文档"
        }
    }
}

/// One place where a document breaks its schema.
public struct XMLSchemaViolation: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The document's file name (or the name given when it was parsed from bytes).
    public var file: String
    /// 1-based line of the offending node; 0 for documents built in memory, which have no lines.
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}
