"""Independent SigV4 check for the AWS tests: recomputes a request's signature with botocore.

Reads one JSON object per line on stdin: method, url, headers (name -> value), body (base64), keys (access key id ->
secret key: the test credentials), region, service. Writes one JSON object per line: {"ok": true} or {"ok": false, "why": "..."}.
botocore is the AWS CLI's own signing code, so the module's signer (the AWS SDK for .NET) is checked against a
second, separate implementation.
"""
import base64
import hashlib
import hmac
import json
import re
import sys

from botocore.auth import S3SigV4Auth, SigV4Auth, UNSIGNED_PAYLOAD
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$")


def check(item):
    headers = {k.lower(): v for k, v in item["headers"].items()}
    body = base64.b64decode(item.get("body") or "")
    auth = headers.get("authorization")
    if not auth:
        return "no Authorization header (unsigned request)"
    m = AUTH.match(auth)
    if not m:
        return "Authorization header is not SigV4: " + auth[:80]
    key, day, region, service, signed, signature = m.groups()
    if key not in item["keys"]:
        return "signed with access key %s, which is not a test credential" % key
    secret = item["keys"][key]
    if region != item["region"] or service != item["service"]:
        return "credential scope %s/%s, expected %s/%s" % (region, service, item["region"], item["service"])
    amz_date = headers.get("x-amz-date")
    if not amz_date or not amz_date.startswith(day):
        return "X-Amz-Date missing or not the scope's day"
    names = signed.split(";")
    for required in ("host", "x-amz-date"):
        if required not in names:
            return "header %s is not signed" % required
    content_hash = headers.get("x-amz-content-sha256")
    if service == "s3" and content_hash is None:
        return "S3 requests must carry X-Amz-Content-SHA256"
    # S3 alone may sign the literal UNSIGNED-PAYLOAD instead of the body's hash.
    unsigned = service == "s3" and content_hash == UNSIGNED_PAYLOAD
    if content_hash is not None and not unsigned and content_hash != hashlib.sha256(body).hexdigest():
        return "X-Amz-Content-SHA256 does not match the body"
    request = AWSRequest(method=item["method"], url=item["url"], data=body)
    for name in names:
        if name not in headers:
            return "signed header %s is missing from the request" % name
        request.headers[name] = headers[name]
    if "x-amz-content-sha256" not in names and "X-Amz-Content-SHA256" in request.headers:
        del request.headers["X-Amz-Content-SHA256"]
    request.context["timestamp"] = amz_date
    # S3's signer canonicalizes the path as sent (no normalization, no double encoding) and signs the payload header.
    signer_type = S3SigV4Auth if service == "s3" else SigV4Auth
    signer = signer_type(Credentials(key, secret, headers.get("x-amz-security-token")), service, region)
    # botocore's own canonical request (path, query, headers, payload hash) over exactly the signed headers.
    if signer.signed_headers(signer.headers_to_sign(request)) != signed:
        return "signed headers %s are not the ones botocore would sign (%s)" % (signed, signer.signed_headers(signer.headers_to_sign(request)))
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    expected = signer.signature(string_to_sign, request)
    if not hmac.compare_digest(expected, signature):
        return "signature does not verify with the test credentials"
    return None


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    try:
        why = check(json.loads(line))
    except Exception as error:  # a malformed request is a failed check, never a crash of the verifier
        why = "verifier error: %r" % (error,)
    try:
        key = AUTH.match(json.loads(line)["headers"].get("Authorization", "")).group(1)
    except Exception:
        key = "unsigned"
    sys.stdout.write(json.dumps({"ok": why is None, "why": None if why is None else "%s: %s" % (key, why)}) + "\n")
    sys.stdout.flush()
