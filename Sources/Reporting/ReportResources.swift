/// The report schema and HTML stylesheet as the build embedded them (`.embedInCode` in Package.swift) from
/// `Reports/`, through the symlinks in `Resources/`: the executable needs no data files to write a report.
public enum ReportResources {
    /// `Reports/certdoctor-report.xsd`.
    public static var schema: [UInt8] { PackageResources.certdoctor_report_xsd }

    /// `Reports/certdoctor-report.xsl`.
    public static var htmlStylesheet: [UInt8] { PackageResources.certdoctor_report_xsl }
}
