import Foundation
import Testing
@testable import HeraldDelivery

/// Classification and retry decisions, table-driven, with the clock and jitter fixed.
@Suite struct RetryPolicyTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: [
        (200, nil, AttemptClass.delivered),                                              // plain success
        (204, nil, .delivered),                                                           // any 2xx
        (301, nil, .permanent(.redirect, reason: "http 301 (redirects are not followed)")),          // redirect: fix the URL
        (400, nil, .permanent(.clientError, reason: "http 400")),                                       // receiver rejects the body
        (404, nil, .permanent(.clientError, reason: "http 404")),                                       // wrong path
        (408, nil, .transient(.serverError, reason: "http 408")),                                       // request timeout
        (410, nil, .gone),                                                                // endpoint removed
        (425, nil, .transient(.serverError, reason: "http 425")),                                       // too early
        (429, nil, .transient(.rateLimited, reason: "http 429")),                                       // rate limited
        (500, nil, .transient(.serverError, reason: "http 500")),                                       // server error
        (503, nil, .transient(.serverError, reason: "http 503")),                                       // unavailable
    ] as [(Int?, TransportError?, AttemptClass)])
    func classifiesStatus(status: Int?, error: TransportError?, expected: AttemptClass) {
        #expect(AttemptClass.classify(status: status, error: error) == expected)
    }

    @Test(arguments: [
        (nil, TransportError.timeout("t"), AttemptClass.transient(.timeout, reason: "timeout: t")),   // timed out
        (nil, .connect("refused"), .transient(.connect, reason: "connect: refused")),                 // connection refused
        (nil, .dns("no host"), .transient(.dns, reason: "dns: no host")),                          // name lookup failed
        (nil, .aborted, .transient(.aborted, reason: "aborted: client shut down")),                    // shutdown mid-transfer
        (nil, .invalidRequest("ftp"), .permanent(.invalidRequest, reason: "invalid_request: ftp")),           // never sendable
        (200, .timeout("body"), .transient(.timeout, reason: "timeout: body")),                        // error wins over status
        (nil, nil, .transient(.noStatus, reason: "no response status")),                                // nothing at all
    ] as [(Int?, TransportError?, AttemptClass)])
    func classifiesTransportErrors(status: Int?, error: TransportError?, expected: AttemptClass) {
        #expect(AttemptClass.classify(status: status, error: error) == expected)
    }

    /// (attempts made, class, retry-after, random, expected decision)
    @Test(arguments: [
        // First failure waits schedule[1] = 5 s.
        (1, AttemptClass.transient(.serverError, reason: "http 500"), nil, 1.0, RetryPolicy.Decision.retry(at: now + 5, code: .serverError, reason: "http 500")),
        // Second failure waits 5 min.
        (2, .transient(.serverError, reason: "http 500"), nil, 1.0, .retry(at: now + 300, code: .serverError, reason: "http 500")),
        // Seventh failure waits the last 10 h step.
        (7, .transient(.serverError, reason: "http 500"), nil, 1.0, .retry(at: now + 36000, code: .serverError, reason: "http 500")),
        // Eighth failure: the budget of 8 attempts is spent.
        (8, .transient(.serverError, reason: "http 500"), nil, 1.0, .deadLetter(code: .serverError, reason: "gave up after 8 attempts: http 500")),
        // Full jitter: half the step with random 0.5.
        (2, .transient(.serverError, reason: "x"), nil, 0.5, .retry(at: now + 150, code: .serverError, reason: "x")),
        // Retry-After later than the step wins.
        (1, .transient(.rateLimited, reason: "http 429"), "120", 1.0, .retry(at: now + 120, code: .rateLimited, reason: "http 429")),
        // Retry-After earlier than the step loses.
        (2, .transient(.rateLimited, reason: "http 429"), "1", 1.0, .retry(at: now + 300, code: .rateLimited, reason: "http 429")),
        // Retry-After as an HTTP-date 1 h ahead.
        (1, .transient(.serverError, reason: "http 503"), "Fri, 15 Jan 2027 09:00:00 GMT", 1.0, .retry(at: now + 3600, code: .serverError, reason: "http 503")),
        // Retry-After beyond the cap is cut to 10 h.
        (1, .transient(.rateLimited, reason: "http 429"), "999999", 1.0, .retry(at: now + 36000, code: .rateLimited, reason: "http 429")),
        // Unparseable Retry-After is ignored.
        (1, .transient(.rateLimited, reason: "http 429"), "soon", 1.0, .retry(at: now + 5, code: .rateLimited, reason: "http 429")),
        // Permanent failures dead-letter at once.
        (1, .permanent(.clientError, reason: "http 400"), nil, 1.0, .deadLetter(code: .clientError, reason: "http 400")),
        // 410 disables the target.
        (3, .gone, nil, 1.0, .disableTarget),
        (1, .delivered, nil, 1.0, .delivered),
    ] as [(Int, AttemptClass, String?, Double, RetryPolicy.Decision)])
    func decides(attempts: Int, result: AttemptClass, retryAfter: String?, random: Double, expected: RetryPolicy.Decision) {
        let policy = RetryPolicy()
        #expect(policy.decide(result, attemptsMade: attempts, createdAt: Self.now, now: Self.now,
                              retryAfter: retryAfter, random: { random }) == expected)
    }

    @Test func deadLettersWhenTheNextAttemptWouldExceedMaxAge() {
        let policy = RetryPolicy(maxAge: 3600, jitter: .none)
        let created = Self.now - 3500
        // Next step is 5 min: 3500 + 300 > 3600.
        #expect(policy.decide(.transient(.serverError, reason: "http 502"), attemptsMade: 2, createdAt: created, now: Self.now,
                              retryAfter: nil, random: { 0 })
                == .deadLetter(code: .serverError, reason: "gave up after 2 attempts, next would exceed max age 3600s: http 502"))
        // Next step is 5 s: still inside the age limit.
        #expect(policy.decide(.transient(.serverError, reason: "http 502"), attemptsMade: 1, createdAt: created, now: Self.now,
                              retryAfter: nil, random: { 0 }) == .retry(at: Self.now + 5, code: .serverError, reason: "http 502"))
    }

    @Test func configuredScheduleAndAttemptsRepeatTheLastStep() {
        let policy = RetryPolicy(schedule: [0, 1, 2], maxAttempts: 5, jitter: .none)
        #expect(policy.delay(beforeAttempt: 2, retryAfter: nil, random: { 0 }) == 1)
        #expect(policy.delay(beforeAttempt: 5, retryAfter: nil, random: { 0 }) == 2)
        #expect(policy.decide(.transient(.serverError, reason: "r"), attemptsMade: 4, createdAt: Self.now, now: Self.now,
                              retryAfter: nil, random: { 0 }) == .retry(at: Self.now + 2, code: .serverError, reason: "r"))
        #expect(policy.decide(.transient(.serverError, reason: "r"), attemptsMade: 5, createdAt: Self.now, now: Self.now,
                              retryAfter: nil, random: { 0 }) == .deadLetter(code: .serverError, reason: "gave up after 5 attempts: r"))
    }

    @Test(arguments: [
        ("120", 120.0),                                   // delay-seconds
        (" 7 ", 7.0),                                     // surrounding spaces
        ("Fri, 15 Jan 2027 09:00:00 GMT", 3600.0),         // IMF-fixdate
        ("Friday, 15-Jan-27 09:00:00 GMT", 3600.0),        // RFC 850
        ("Fri Jan 15 09:00:00 2027", 3600.0),              // asctime
        ("Fri, 15 Jan 2027 07:00:00 GMT", 0.0),            // in the past
    ] as [(String, Double)])
    func parsesRetryAfter(header: String, seconds: Double) {
        #expect(RetryAfter.delay(header, now: Self.now) == seconds)
    }

    @Test func ignoresMissingOrMalformedRetryAfter() {
        #expect(RetryAfter.delay(nil, now: Self.now) == nil)
        #expect(RetryAfter.delay("", now: Self.now) == nil)
        #expect(RetryAfter.delay("-5", now: Self.now) == nil)
        #expect(RetryAfter.delay("tomorrow", now: Self.now) == nil)
    }
}
