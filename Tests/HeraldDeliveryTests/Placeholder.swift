import Testing

@Test func placeholderHeraldDeliveryTests() {}
