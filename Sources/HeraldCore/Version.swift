public enum HeraldCoreVersion { public static let string = "0.1.0" }
