from sohoa.core.errors import Conflict, InputRejected, SigningError


def test_an_error_tells_an_audit_event_its_code_and_message() -> None:
    refused = InputRejected("not a PDF", code="not_pdf", details={"offset": 0})
    assert refused.event_details() == {"reason_code": "not_pdf", "message": "not a PDF"}
    # the class's own code where none is given
    assert Conflict("taken").event_details() == {"reason_code": "conflict", "message": "taken"}
    assert SigningError("no key").event_details()["reason_code"] == SigningError.code
