import Testing

@Test func placeholderHeraldDaemonTests() {}
