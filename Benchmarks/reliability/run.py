"""Runs the reliability scenarios against the real `herald serve` binary and prints
their figures; exits 1 if any promise was broken (lost notifications, crashes, a 202
while the store could not commit, a wrong final config)."""
import argparse, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario_crash, scenario_outage, scenario_store, scenario_reload  # noqa: E402

SCENARIOS = {
    "crash": lambda a: scenario_crash.run(a.binary, events=a.events, rate=a.rate, kills=a.kills, seed=a.seed),
    "outage": lambda a: scenario_outage.run(a.binary),
    "store": lambda a: scenario_store.run(a.binary),
    "reload": lambda a: scenario_reload.run(a.binary, signals=a.signals),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS), help="any of: " + ", ".join(SCENARIOS))
    parser.add_argument("--binary", required=True)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=400, help="events per second")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--signals", type=int, default=60, help="SIGHUPs in the reload storm")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    failed = []
    for name in args.scenarios:
        try:
            ok = SCENARIOS[name](args)
        except Exception as error:   # a scenario that cannot run is a failure, with its reason
            print("%s: could not run: %s" % (name, error), flush=True)
            ok = False
        if not ok:
            failed.append(name)
    print("reliability: %d scenarios, %d failed%s" % (len(args.scenarios), len(failed),
                                                      (" (" + ", ".join(failed) + ")") if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
