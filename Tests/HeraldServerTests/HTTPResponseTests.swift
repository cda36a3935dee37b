import Foundation
import HeraldServer
import Testing

/// The bodies and headers of the response constructors.
@Suite struct HTTPResponseTests {
    @Test func errorBodyHasCodeMessageAndFieldDetails() {
        let response = HTTPResponse.error(status: 422, code: "invalid_event", message: "the event is invalid",
                                          details: [(path: "events[0].value", message: "must be a finite number")])
        #expect(response.status == 422)
        #expect(response.header("Content-Type") == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) ==
                #"{"details":[{"message":"must be a finite number","path":"events[0].value"}],"error":"invalid_event","message":"the event is invalid"}"#)
    }

    @Test func jsonAndTextSetContentType() {
        #expect(HTTPResponse.json(["a": 1]).header("content-type") == "application/json")
        #expect(String(decoding: HTTPResponse.json(["a": 1]).body, as: UTF8.self) == #"{"a":1}"#)
        let text = HTTPResponse.text("ok\n", headers: [("Cache-Control", "no-store")])
        #expect(text.status == 200)
        #expect(text.header("content-type") == "text/plain; charset=utf-8")
        #expect(text.header("cache-control") == "no-store")
    }

    @Test func unencodableValueBecomes500() {
        let response = HTTPResponse.json(["x": Double.nan])   // JSON has no NaN
        #expect(response.status == 500)
        #expect(decodeError(response)?.error == "response_encoding_failed")
    }
}
