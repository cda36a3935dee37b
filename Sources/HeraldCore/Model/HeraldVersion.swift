/// The version Herald reports in `--version`, `User-Agent` and `herald_build_info`.
public enum HeraldVersion {
    public static let string = "0.1.0"
}
