import Testing

@Test func placeholderHeraldAcceptanceTests() {}
