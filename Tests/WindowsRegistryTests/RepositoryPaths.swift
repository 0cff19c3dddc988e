import Foundation

/// Repository-relative paths (the shared real-world data sits beside the repository).
enum RepositoryPaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repository = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let realWorldPolicies = repository.deletingLastPathComponent()
        .appendingPathComponent("shared/realworld/registry-pol")
}
