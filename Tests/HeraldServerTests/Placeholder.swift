import Testing

@Test func placeholderHeraldServerTests() {}
