import Testing

@Test func placeholderHeraldStoreTests() {}
