/// What the HTTP server listens on and the limits it enforces. Every default is a named
/// constant in `HTTPServerConfiguration.Defaults` with the reason for its value.
public struct HTTPServerConfiguration: Sendable {
    /// Where connections come from.
    public enum Listener: Sendable, Equatable {
        /// Bind and listen on this address.
        case address(ListenAddress)
        /// Use an already-listening socket (systemd socket activation passes fd 3). The server
        /// takes the descriptor over and closes it when stopped, but never shuts the socket
        /// down, so systemd's copy keeps accepting for the next instance.
        case inheritedSocket(fileDescriptor: Int32)
    }

    /// The reasons for the default limits.
    public enum Defaults {
        /// Enough for hundreds of keep-alive producers on a small host while staying far
        /// below the default open-file limit (1024 soft) minus the database, curl and logs.
        public static let connectionLimit = 512
        /// Per-connection buffer for headers and each body piece. MHD's own default is 32 KiB;
        /// 64 KiB fits large bearer tokens and proxy headers and halves the number of body
        /// callbacks for batch uploads, at 32 MiB for a full connection table.
        public static let connectionMemoryLimitBytes = 64 * 1024
        /// A client silent for this long is cut off, so slow or stalled clients cannot hold
        /// connections (slowloris). Generous for real producers on a LAN or WAN.
        public static let connectionTimeoutSeconds = 30
        /// Largest accepted request body. A batch of events (~200 bytes each) up to several
        /// thousand events fits; anything larger is refused with 413 before it is read.
        public static let maxRequestBodyBytes = 1024 * 1024
        /// Two epoll threads: measured ~50k req/s versus ~38k with one on this 2-core class
        /// of machine; JSON decoding, not HTTP, is the bottleneck beyond that.
        public static let threadPoolSize = 2
    }

    /// Allowed ranges, checked by `validate()`; outside them MHD would misbehave or the
    /// limit would be meaningless.
    enum Ranges {
        static let connectionLimit = 1...65_536
        /// Below 4 KiB typical request headers no longer fit and MHD answers 431.
        static let connectionMemoryLimitBytes = 4096...(16 * 1024 * 1024)
        /// Zero would mean "never time out" to MHD, which defeats the point of the limit.
        static let connectionTimeoutSeconds = 1...3600
        static let maxRequestBodyBytes = 0...(256 * 1024 * 1024)
        static let threadPoolSize = 1...64
    }

    public var listener: Listener
    public var connectionLimit: Int
    public var connectionMemoryLimitBytes: Int
    public var connectionTimeoutSeconds: Int
    public var maxRequestBodyBytes: Int
    public var threadPoolSize: Int
    /// Serve HTTPS with these (checked) credentials; nil serves plain HTTP.
    public var tls: TLSCredentials?

    public init(listener: Listener,
                connectionLimit: Int = Defaults.connectionLimit,
                connectionMemoryLimitBytes: Int = Defaults.connectionMemoryLimitBytes,
                connectionTimeoutSeconds: Int = Defaults.connectionTimeoutSeconds,
                maxRequestBodyBytes: Int = Defaults.maxRequestBodyBytes,
                threadPoolSize: Int = Defaults.threadPoolSize,
                tls: TLSCredentials? = nil) {
        self.listener = listener
        self.connectionLimit = connectionLimit
        self.connectionMemoryLimitBytes = connectionMemoryLimitBytes
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.threadPoolSize = threadPoolSize
        self.tls = tls
    }

    /// Convenience: parse `host:port` / `[ipv6]:port` into a listener.
    public init(listen address: String) throws(HTTPServerError) {
        self.init(listener: .address(try ListenAddress(parsing: address)))
    }

    /// Checks every limit against its range, naming the field and the value.
    public func validate() throws(HTTPServerError) {
        try check("connectionLimit", connectionLimit, Ranges.connectionLimit)
        try check("connectionMemoryLimitBytes", connectionMemoryLimitBytes, Ranges.connectionMemoryLimitBytes)
        try check("connectionTimeoutSeconds", connectionTimeoutSeconds, Ranges.connectionTimeoutSeconds)
        try check("maxRequestBodyBytes", maxRequestBodyBytes, Ranges.maxRequestBodyBytes)
        try check("threadPoolSize", threadPoolSize, Ranges.threadPoolSize)
        if case .inheritedSocket(let fd) = listener, fd < 0 {
            throw HTTPServerError(.invalidConfiguration, "inherited socket descriptor \(fd) is negative")
        }
    }

    private func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws(HTTPServerError) {
        guard range.contains(value) else {
            throw HTTPServerError(.invalidConfiguration,
                                  "\(name) \(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
    }
}
