/// The configs the evaluator fuzz target switches between. One directory, three rules
/// (above with hysteresis and repeats, below, absolute with a label filter), in layouts
/// a reload can move between: thresholds moved, a tier removed, a rule removed and
/// added back, a short idempotency window.
enum EvaluatorFuzzConfigs {
    static let directory = """
      "users": [
        {"id": "u-0", "name": "Owner", "owner": true, "roles": ["admin"]},
        {"id": "u-1", "name": "Mia", "roles": ["manager"]},
        {"id": "u-2", "name": "Ned", "roles": ["manager"], "groups": ["on-call"]},
        {"id": "u-3", "name": "Ola", "groups": ["on-call"]},
        {"id": "u-4", "name": "Pat", "active": false, "roles": ["manager"]}
      ],
      "groups": [{"id": "on-call", "name": "On call", "roles": ["admin"]}],
      "targets": [{"id": "hook", "url": "http://127.0.0.1:9/h", "secrets": [{"env": "FUZZ_SECRET"}]}]
    """

    static func config(load: String, stock: String, absolute: String?, window: String = "1h") -> String {
        var rules = [
            """
            {"id": "load-high", "metric": "load", "direction": "above", "hysteresis": 1.5, "cumulative": true,
             "repeatAfter": "30m", "notifyDeescalated": true, "tiers": [\(load)]}
            """,
            """
            {"id": "stock-low", "metric": "stock", "direction": "below", "notifyResolved": true, "tiers": [\(stock)]}
            """,
        ]
        if let absolute {
            rules.append("""
            {"id": "load-abs", "metric": "load", "direction": "absolute", "labels": {"site": "north"}, "tiers": [\(absolute)]}
            """)
        }
        return "{\(directory), \"rules\": [\(rules.joined(separator: ","))], \"server\": {\"idempotencyWindow\": \"\(window)\"}}"
    }

    static let loadTiers = """
    {"name": "warn", "threshold": 10, "notify": [{"relation": "primary_coordinator"}, {"role": "manager"}]},
    {"name": "high", "threshold": 20, "notify": [{"group": "on-call"}]},
    {"name": "critical", "threshold": 30, "notify": [{"owner": true}, {"user": "u-4"}]}
    """
    static let movedLoadTiers = """
    {"name": "warn", "threshold": 5, "notify": [{"relation": "primary_coordinator"}, {"role": "manager"}]},
    {"name": "high", "threshold": 21, "notify": [{"group": "on-call"}]},
    {"name": "critical", "threshold": 29.5, "notify": [{"owner": true}, {"user": "u-4"}]}
    """
    static let twoLoadTiers = """
    {"name": "warn", "threshold": 10, "notify": [{"relation": "primary_coordinator"}, {"role": "manager"}]},
    {"name": "high", "threshold": 20, "notify": [{"group": "on-call"}]}
    """
    static let stockTiers = """
    {"name": "low", "threshold": 5, "notify": [{"role": "manager", "andAbove": true}]},
    {"name": "empty", "threshold": 0, "notify": [{"owner": true}]}
    """
    static let absoluteTiers = """
    {"name": "drift", "threshold": 25, "notify": [{"user": "u-3"}, {"relation": "primary_coordinator"}]}
    """

    static let all: [String] = [
        config(load: loadTiers, stock: stockTiers, absolute: absoluteTiers),
        config(load: movedLoadTiers, stock: stockTiers, absolute: absoluteTiers),
        config(load: twoLoadTiers, stock: stockTiers, absolute: nil),
        config(load: loadTiers, stock: stockTiers, absolute: absoluteTiers, window: "90s"),
    ]
}
