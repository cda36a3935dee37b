import Testing

@Test func placeholderHeraldCoreTests() {}
