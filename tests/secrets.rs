//! Secrets never leave the tool: every kind of secret is planted on the failure lines of every
//! input format, then every output (table, Markdown, HTML, CSV, JSON, `--by` on every dimension,
//! events as NDJSON and CSV, `explain`, stderr warnings) is searched for the secrets and for
//! their last 8 characters. The failures must be found (a count per file and a marker per
//! file), so the test cannot pass by reading nothing.

use crate::common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

// Obviously fake values; each holds `PLANTED` unless its shape forbids it (hex, base64).
const API: &str = "sk-ant-api03-PLANTEDapiKey0123456789abcdefghij_KLMNOPqrstuv-wxyz1A2B";
const OAT: &str = "sk-ant-oat01-PLANTEDoauthTok0123456789abcdefghij_KLMNO-3C4D";
const ADMIN: &str = "sk-ant-admin01-PLANTEDadminKey0123456789abcdefghij-5E6F";
const SID: &str = "sk-ant-sid01-PLANTEDsessionKey0123456789abcdefghij-7G8H";
const VIRTUAL: &str = "sk-PLANTEDlitellmVirtualKey9I0J";
const RAW_KEY: &str = "gwkey-PLANTEDrawGatewayKey1K2L";
const BEARER: &str = "PLANTEDbearerOpaqueToken.3M4N";
const BASIC: &str = "UExBTlRFRDpiYXNpY1Bhc3M5TzBQ";
const AKID: &str = "AKIAPLANTEDKEY5Q6R7S";
const ASID: &str = "ASIAPLANTEDSTS8T9U0V";
const AWS_SECRET: &str = "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";
const SESSION: &str = "IQoJb3JpZ2luX2VjEPLANTEDsessionToken/+9e0f1g2h3i4j5k==";
const SIGV4: &str = "0123456789abcdef0123456789abcdef0123456789abcdef01234567c0ffee42";
const YA29: &str = "ya29.a0PLANTEDgoogleAccessToken_5l6m-7n8o";
const PKEY_BODY: &str = "MIIEvQIBADANPLANTEDprivateKeyBody+/9p0q";
const PKEY_ID: &str = "0123456789abcdef0123456789abcdefdecafbad";
const AIZA: &str = "AIzaSyPLANTEDgoogleApiKey0123456789r1s2";
const URL_PASS: &str = "PLANTEDproxyPass3t4u";
const CF_COOKIE: &str = "PLANTEDcfbmCookie5v6w";
const CLIENT_SECRET: &str = "PLANTEDclientSecret7x8y";

const SECRETS: [&str; 20] = [
    API,
    OAT,
    ADMIN,
    SID,
    VIRTUAL,
    RAW_KEY,
    BEARER,
    BASIC,
    AKID,
    ASID,
    AWS_SECRET,
    SESSION,
    SIGV4,
    YA29,
    PKEY_BODY,
    PKEY_ID,
    AIZA,
    URL_PASS,
    CF_COOKIE,
    CLIENT_SECRET,
];

/// A service-account private key as it sits inside JSON (`\n` escapes).
fn private_key() -> String {
    format!(r"-----BEGIN PRIVATE KEY-----\n{PKEY_BODY}\n-----END PRIVATE KEY-----\n")
}

/// Every secret in one breath, in the shapes a log line writes them.
fn all_inline() -> String {
    format!(
        "x-api-key: {RAW_KEY} Authorization: Bearer {BEARER} key {API} oauth {OAT} admin {ADMIN} \
         Cookie: sessionKey={SID}; __cf_bm={CF_COOKIE} virtual {VIRTUAL} \
         Authorization: Basic {BASIC} Credential={AKID}/20251002/us-east-1/bedrock/aws4_request, \
         Signature={SIGV4} {ASID} aws_secret_access_key={AWS_SECRET} X-Amz-Security-Token: {SESSION} \
         token {YA29} key={AIZA} via http://svc:{URL_PASS}@proxy.internal:3128 \
         client_secret={CLIENT_SECRET} private_key_id={PKEY_ID} private_key={}",
        private_key()
    )
}

/// The same, safe to put inside a JSON string written by hand (no `"`).
fn inline_json() -> String {
    all_inline().replace('\\', "\\\\")
}

/// (file name, contents, failures expected, a marker from a failure line that must reach the
/// events).
fn corpus() -> Vec<(&'static str, String, usize, &'static str)> {
    let inline = all_inline();
    let ij = inline_json();
    let pk = private_key();
    let mut files = Vec::new();

    files.push((
        "proxy/nginx-access.log",
        format!(
            "10.0.0.1 - - [02/Oct/2025:16:20:11 +0000] \"POST /v1/messages?api_key={RAW_KEY}&key={AIZA}&X-Amz-Signature={SIGV4} HTTP/1.1\" 401 97 \"https://u:{URL_PASS}@app.example/?token={BEARER}\" \"Anthropic/Python 0.69.0\" \"x-api-key={API}\" \"Bearer {OAT}\" \"sessionKey={SID}; __cf_bm={CF_COOKIE}\" {AKID} {ASID}\n\
             10.0.0.1 - - [02/Oct/2025:16:20:12 +0000] \"POST /v1/messages/count_tokens?X-Amz-Credential={AKID}%2F20251002&X-Amz-Security-Token={SESSION} HTTP/1.1\" 529 97 \"-\" \"Anthropic/JS 0.65.0 {YA29}\" rt=0.1 auth=\"Basic {BASIC}\"\n"
        ),
        2,
        "count_tokens",
    ));
    files.push((
        "proxy/nginx-access.json.log",
        serde_json::json!({
            "time_iso8601": "2025-10-02T16:30:04+00:00", "remote_addr": "10.0.7.12",
            "request_method": "POST",
            "request_uri": format!("/v1/messages?key={AIZA}&X-Amz-Signature={SIGV4}&X-Amz-Security-Token={SESSION}"),
            "server_protocol": "HTTP/1.1", "status": "429", "body_bytes_sent": "531",
            "request_time": "0.188", "upstream_status": "429",
            "request_id": "7a1c2d3e4f5061728394a5b6c7d8e9f0",
            "http_user_agent": "Anthropic/Python 0.69.0",
            "upstream_http_request_id": "req_011CMarkNginxJson0001",
            "http_x_api_key": API, "http_authorization": format!("Bearer {OAT}"),
            "http_cookie": format!("sessionKey={SID}; __cf_bm={CF_COOKIE}"),
            "http_x_amz_security_token": SESSION, "http_proxy_authorization": format!("Basic {BASIC}"),
            "aws_access_key": AKID, "http_x_goog_api_key": AIZA, "bearer": YA29,
        })
        .to_string()
            + "\n",
        1,
        "req_011CMarkNginxJson0001",
    ));
    files.push((
        "proxy/nginx-error.log",
        format!(
            "2025/10/02 16:22:12 [error] 9#9: *1 upstream timed out (110: Connection timed out) while reading response header from upstream MarkNginxErr {inline}, client: 10.0.0.1, server: s, request: \"POST /v1/messages?api_key={RAW_KEY}&key={AIZA} HTTP/1.1\", upstream: \"https://svc:{URL_PASS}@203.0.113.9:443/v1/messages\", host: \"h\", referrer: \"https://x/?access_token={YA29}\"\n"
        ),
        1,
        "MarkNginxErr",
    ));
    files.push((
        "proxy/envoy-access.log",
        format!(
            "[2025-10-02T16:31:12.408Z] \"POST /v1/messages?key={AIZA}&api_key={RAW_KEY} HTTP/1.1\" 503 UF 2311 91 30012 - \"10.0.5.14\" \"Anthropic/JS 0.65.0\" \"5b1f0c2e-7d44-4e0a-9a1b-0c2d3e4f5a6b\" \"api.anthropic.com\" \"203.0.113.9:443\" \"Bearer {BEARER}\" \"{API}\" \"{YA29}\" \"{AKID}\"\n"
        ),
        1,
        "envoy response flags UF",
    ));
    let cf = serde_json::json!([{"id": "MarkCloudflare01", "created_at": "2025-10-02T16:50:00Z", "provider": "anthropic",
        "model": "claude-sonnet-4-5", "path": format!("v1/messages?key={AIZA}"), "status_code": 401, "success": false,
        "cached": false, "duration": 3, "tokens_in": 0, "tokens_out": 0,
        "metadata": {"authorization": format!("Bearer {BEARER}"), "x-api-key": RAW_KEY},
        "response": {"type": "error", "error": {"type": "authentication_error",
            "message": format!("MarkCloudflare {inline}")}}}]);
    files.push((
        "proxy/cloudflare-aig-logs.json",
        cf.to_string(),
        1,
        "MarkCloudflare",
    ));

    let har_body = serde_json::json!({"type": "error", "error": {"type": "authentication_error",
        "message": format!("MarkHarBody {inline}")}, "request_id": "req_011CMarkHar0000001"})
    .to_string();
    let sse = format!(
        "event: message_start\ndata: {{\"type\":\"message_start\",\"message\":{{\"model\":\"claude-haiku-4-5\"}}}}\n\nevent: error\ndata: {}\n\n",
        serde_json::json!({"type": "error", "error": {"type": "overloaded_error", "message": format!("MarkHarStream {inline}")}})
    );
    let headers = serde_json::json!([
        {"name": "x-api-key", "value": RAW_KEY},
        {"name": "authorization", "value": format!("Bearer {OAT}")},
        {"name": "proxy-authorization", "value": format!("Basic {BASIC}")},
        {"name": "cookie", "value": format!("sessionKey={SID}; __cf_bm={CF_COOKIE}")},
        {"name": "x-amz-security-token", "value": SESSION},
        {"name": "x-goog-api-key", "value": AIZA},
    ]);
    let request = |url: &str| {
        serde_json::json!({"method": "POST", "url": url, "httpVersion": "h2", "headers": headers,
            "cookies": [{"name": "sessionKey", "value": SID}, {"name": "__cf_bm", "value": CF_COOKIE}],
            "queryString": [{"name": "key", "value": AIZA}, {"name": "X-Amz-Signature", "value": SIGV4}],
            "postData": {"mimeType": "application/json", "text": serde_json::json!({"model": "claude-haiku-4-5",
                "messages": [{"role": "user", "content": format!("PLANTEDprompt {inline}")}]}).to_string()}})
    };
    let har = serde_json::json!({"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": [
        {"startedDateTime": "2025-10-02T16:40:03Z", "time": 5,
         "request": request(&format!("https://api.anthropic.com/v1/messages?key={AIZA}&api_key={RAW_KEY}")),
         "response": {"status": 401, "statusText": "", "headers": [{"name": "request-id", "value": "req_011CMarkHar0000001"},
                {"name": "set-cookie", "value": format!("sessionKey={SID}; Path=/; HttpOnly")}],
            "cookies": [{"name": "sessionKey", "value": SID}],
            "content": {"mimeType": "application/json", "text": har_body}}},
        {"startedDateTime": "2025-10-02T16:40:04Z", "time": 5,
         "request": request("https://api.anthropic.com/v1/messages"),
         "response": {"status": 200, "statusText": "", "headers": [{"name": "request-id", "value": "req_011CMarkHar0000002"}],
            "cookies": [], "content": {"mimeType": "text/event-stream", "text": sse}}},
        {"startedDateTime": "2025-10-02T16:40:05Z", "time": 5,
         "request": request(&format!("https://u:{URL_PASS}@api.anthropic.com/v1/messages?access_token={YA29}")),
         "response": {"status": 0, "statusText": "", "headers": [], "cookies": [],
            "content": {"mimeType": "x-unknown", "size": 0}, "_error": "net::ERR_CONNECTION_RESET"}}]}});
    files.push(("har/secrets.har", har.to_string(), 3, "MarkHarBody"));

    files.push((
        "app/python-sdk.log",
        format!(
            "[2025-11-03 09:14:02 - anthropic._base_client:482 - DEBUG] Request options: {{'method': 'post', 'url': '/v1/messages', 'headers': {{'X-Api-Key': '{RAW_KEY}', 'Authorization': 'Bearer {OAT}', 'Cookie': 'sessionKey={SID}; __cf_bm={CF_COOKIE}'}}, 'json_data': {{'max_tokens': 512, 'messages': [{{'role': 'user', 'content': 'PLANTEDprompt {API}'}}], 'model': 'claude-haiku-4-5'}}}}\n\
             [2025-11-03 09:14:02 - anthropic._base_client:1292 - DEBUG] Sending HTTP Request: POST https://api.anthropic.com/v1/messages?key={AIZA}\n\
             [2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages?key={AIZA}&api_key={RAW_KEY} \"HTTP/1.1 401 Unauthorized\"\n\
             [2025-11-03 09:14:03 - anthropic._base_client:1311 - DEBUG] HTTP Response: POST https://api.anthropic.com/v1/messages \"401 Unauthorized\" Headers([('date', 'Mon, 03 Nov 2025 09:14:03 GMT'), ('request-id', 'req_011CMarkPySdk000001'), ('set-cookie', 'sessionKey={SID}; __cf_bm={CF_COOKIE}; Path=/'), ('set-cookie', 'x=1'), ('x-api-key', '{RAW_KEY}'), ('authorization', 'Bearer {BEARER}')])\n\
             [2025-11-03 09:14:03 - anthropic._base_client:1319 - DEBUG] request_id: req_011CMarkPySdk000001\n\
             Traceback (most recent call last):\n  File \"/srv/app/summarize.py\", line 41, in <module>\n    reply = client.messages.create(\n  File \"/srv/venv/lib/python3.12/site-packages/anthropic/_base_client.py\", line 1195, in request\n    raise self._make_status_error_from_response(response) from None\n\
             anthropic.AuthenticationError: Error code: 401 - {{'type': 'error', 'error': {{'type': 'authentication_error', 'message': \"MarkPyTrace {inline}\"}}, 'request_id': 'req_011CMarkPySdk000001'}}\n"
        ),
        1,
        "MarkPyTrace",
    ));
    files.push((
        "app/traceback.log",
        format!(
            "2025-11-03 09:20:00,001 ERROR [app] call failed\nTraceback (most recent call last):\n  File \"/srv/app/x.py\", line 3, in <module>\n    client.messages.create()\n\
             anthropic.PermissionDeniedError: Error code: 403 - {{'type': 'error', 'error': {{'type': 'permission_error', 'message': 'MarkPyPerm key {API} headers {{\\'x-api-key\\': \\'{RAW_KEY}\\', \\'authorization\\': \\'Bearer {OAT}\\'}} {ASID} {YA29}'}}}}\n\
             2025-11-03 09:20:05,001 ERROR [app] anthropic.APIConnectionError: Connection error. MarkPyConn ProxyError('Unable to connect to proxy', http://svc:{URL_PASS}@proxy.internal:3128 api_key={VIRTUAL})\n"
        ),
        2,
        "MarkPyPerm",
    ));
    files.push((
        "app/node-service.log",
        format!(
            "[log_5d6e7f] sending request {{\n  method: 'post',\n  url: 'https://api.anthropic.com/v1/messages',\n  headers: {{ 'anthropic-version': '2023-06-01', 'x-api-key': '{RAW_KEY}', authorization: 'Bearer {OAT}', cookie: 'sessionKey={SID}; __cf_bm={CF_COOKIE}' }}\n}}\n\
             [log_5d6e7f, request-id: \"req_011CMarkNode0000001\"] post https://api.anthropic.com/v1/messages?key={AIZA} failed with status 401 in 412ms - error; not retryable\n\
             [log_5d6e7f] response error (error; not retryable) {{\n  url: 'https://api.anthropic.com/v1/messages',\n  status: 401,\n  headers: {{\n    'request-id': 'req_011CMarkNode0000001',\n    'set-cookie': 'sessionKey={SID}; Path=/',\n    'x-api-key': '{RAW_KEY}'\n  }},\n  durationMs: 412\n}}\n\
             2025-10-02T16:21:10.400Z ERROR [chat] job failed AuthenticationError: 401 {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkNodeErr {ij}\"}},\"request_id\":\"req_011CMarkNode0000001\"}}\n    at APIError.generate (/srv/app/node_modules/@anthropic-ai/sdk/core/error.js:66:20)\n\
             Anthropic:DEBUG:request https://api.anthropic.com/v1/messages {{ method: 'post', path: '/v1/messages', body: {{ model: 'claude-3-5-sonnet-20241022', max_tokens: 1024, messages: [Array] }} }} {{ 'x-api-key': '{API}', authorization: 'Bearer {OAT}', 'x-stainless-retry-count': '0' }}\n\
             Anthropic:DEBUG:response (error; (error; not retryable)) 403 https://api.anthropic.com/v1/messages {{ 'content-type': 'application/json', 'request-id': 'req_011CMarkNodeOld00001', 'set-cookie': 'sessionKey={SID}; __cf_bm={CF_COOKIE}' }} undefined\n\
             [2024-11-18 09:13:02] error: chat failed TypeError: fetch failed MarkNodeFetch cause: Error: getaddrinfo ENOTFOUND svc:{URL_PASS}@proxy.internal api_key={VIRTUAL}\n"
        ),
        3,
        "MarkNodeErr",
    ));
    files.push((
        "app/go-service.log",
        format!(
            "2025/08/19 12:30:05 Request Content:\nPOST /v1/messages HTTP/1.1\nHost: api.anthropic.com\nAuthorization: Bearer {OAT}\nX-Api-Key: {RAW_KEY}\nCookie: sessionKey={SID}; __cf_bm={CF_COOKIE}\nX-Stainless-Retry-Count: 0\n\n{{\"max_tokens\":1024,\"messages\":[{{\"content\":\"PLANTEDprompt\",\"role\":\"user\"}}],\"model\":\"claude-sonnet-4-5-20250929\"}}\n\
             2025/08/19 12:30:06 Response Content:\nHTTP/1.1 401 Unauthorized\nContent-Type: application/json\nRequest-Id: req_011CMarkGoDump000001\nSet-Cookie: sessionKey={SID}; Path=/; HttpOnly\n\n{{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkGoDump {ij}\"}},\"request_id\":\"req_011CMarkGoDump000001\"}}\n\
             2025/08/19 12:31:02 summarize: POST \"https://api.anthropic.com/v1/messages?key={AIZA}\": 401 Unauthorized (Request-ID: req_011CMarkGoErr0000001) {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkGoErr {ij}\"}},\"request_id\":\"req_011CMarkGoErr0000001\"}}\n\
             2025/08/19 12:31:40 summarize: Post \"https://svc:{URL_PASS}@api.anthropic.com/v1/messages?api_key={RAW_KEY}\": dial tcp: lookup api.anthropic.com: no such host\n"
        ),
        3,
        "MarkGoErr",
    ));
    files.push((
        "app/java-service.log",
        format!(
            "--> POST https://api.anthropic.com/v1/messages?key={AIZA} (2048-byte body)\nx-api-key: {RAW_KEY}\nauthorization: Bearer {OAT}\n--> END POST (2048-byte body)\n<-- 401 (412ms, 262-byte body)\nrequest-id: req_011CMarkJava00000001\nset-cookie: sessionKey={SID}; Path=/\n\n{{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkJavaDump {ij}\"}},\"request_id\":\"req_011CMarkJava00000001\"}}\n<-- END HTTP (262-byte body)\n\
             2025-10-02 16:21:40.552 ERROR 4711 --- [pool-1-thread-1] c.e.support.SummaryJob : summary failed: com.anthropic.errors.PermissionDeniedException: 403: {{\"type\":\"error\",\"error\":{{\"type\":\"permission_error\",\"message\":\"MarkJavaErr {ij}\"}},\"request_id\":\"req_011CMarkJava00000002\"}}\n\
             com.anthropic.errors.UnauthorizedException: 401: {{type=error, error={{type=authentication_error, message=MarkJavaMap x-api-key={RAW_KEY} api_key={VIRTUAL} {API}}}, request_id=req_011CMarkJava00000003}}\n"
        ),
        3,
        "MarkJavaErr",
    ));

    files.push((
        "claude-code/terminal.txt",
        format!(
            "  ⎿  API Error (401 {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkTermRetry {ij}\"}},\"request_id\":\"req_011CMarkTerm0000001\"}}) · Retrying in 1 seconds… (attempt 1/10)\n\
             ⏺ API Error: 401 {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkTermFinal OAuth token {OAT} has expired {inline}\"}}}} · Please run /login\n"
        ),
        2,
        "MarkTermRetry",
    ));
    files.push((
        "claude-code/debug.txt",
        format!(
            "2026-06-23T15:57:40.120Z [DEBUG] [API:request] Creating client, ANTHROPIC_CUSTOM_HEADERS present: true, Authorization: Bearer {OAT}, x-api-key: {RAW_KEY}\n\
             2026-06-23T15:58:04.901Z [ERROR] API error (attempt 2/11): 401 401 {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkDebugErr {ij}\"}},\"request_id\":\"req_011CMarkDebug000001\"}}\n\
             2026-06-23T15:59:02.411Z [ERROR] Error streaming, falling back to non-streaming mode: Connection error. MarkDebugConn https://svc:{URL_PASS}@proxy.internal api_key={VIRTUAL} {API}\n"
        ),
        2,
        "MarkDebugErr",
    ));
    let system = serde_json::json!({"isSidechain": false, "type": "system", "subtype": "api_error", "level": "error",
        "sessionId": "9f0b2d3e-1111-4a2b-8c3d-5e6f7a8b9c0d", "version": "2.1.150",
        "error": {"status": 401, "headers": {"authorization": format!("Bearer {OAT}"), "x-api-key": RAW_KEY,
                "set-cookie": format!("sessionKey={SID}; __cf_bm={CF_COOKIE}")},
            "requestID": "req_011CMarkJsonl000001",
            "error": {"type": "error", "error": {"type": "authentication_error", "message": format!("MarkJsonlRetry {inline}")}}},
        "retryInMs": 1034.2, "retryAttempt": 2, "maxRetries": 10, "timestamp": "2026-05-22T10:15:07.512Z", "uuid": "e2d7"});
    let assistant = serde_json::json!({"type": "assistant", "uuid": "a9c3", "timestamp": "2026-08-06T22:12:40.004Z",
        "isApiErrorMessage": true, "apiErrorStatus": 401, "error": "authentication_failed",
        "message": {"role": "assistant", "model": "<synthetic>", "content": [{"type": "text",
            "text": format!("Please run /login · API Error: 401 MarkJsonlFinal OAuth access token {OAT} has expired. {inline}")}],
            "stop_reason": "stop_sequence"}});
    files.push((
        "claude-code/projects/-home-dev-shop/9f0b2d3e-1111-4a2b-8c3d-5e6f7a8b9c0d.jsonl",
        format!("{system}\n{assistant}\n"),
        2,
        "MarkJsonlRetry",
    ));
    let errors = serde_json::json!([
        {"error": format!("Error: 401 {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkErrArray {ij}\"}},\"request_id\":\"req_011CMarkErrArray0001\"}}\n    at generate (/$bunfs/root/src/entrypoints/cli.js:411:9302)"),
         "timestamp": "2026-03-18T12:41:28.985Z"}]);
    files.push((
        "claude-code/errors.json",
        errors.to_string(),
        1,
        "MarkErrArray",
    ));

    files.push((
        "bedrock/boto3.log",
        format!(
            "2025-10-02 08:41:00,100 DEBUG [botocore.endpoint] Making request for OperationModel(name=InvokeModel) with params: {{'url_path': '/model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke', 'headers': {{'X-Amz-Date': '20251002T084100Z', 'X-Amz-Security-Token': '{SESSION}', 'Authorization': 'AWS4-HMAC-SHA256 Credential={ASID}/20251002/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature={SIGV4}'}}}}\n\
             2025-10-02 08:41:00,101 DEBUG [botocore.auth] CanonicalRequest: POST /model/x/invoke host:bedrock-runtime.us-east-1.amazonaws.com x-amz-security-token:{SESSION}\n\
             2025-10-02 08:41:00,102 DEBUG [botocore.hooks] Event before-send.bedrock-runtime.InvokeModel: headers={{'Authorization': b'AWS4-HMAC-SHA256 Credential={AKID}/20251002/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature={SIGV4}', 'X-Amz-Security-Token': b'{SESSION}'}}\n\
             2025-10-02 08:41:00,533 ERROR [app] invoke failed: botocore.errorfactory.ValidationException: An error occurred (ValidationException) when calling the InvokeModel operation: MarkBedrockInvalid Malformed input request {inline}\n\
             2025-10-02 08:41:17,446 ERROR [app] invoke failed: An error occurred (UnrecognizedClientException) when calling the InvokeModel operation (reached max retries: 4): MarkBedrockToken The security token included in the request is invalid. X-Amz-Security-Token={SESSION} AWS_SESSION_TOKEN={SESSION} aws_access_key_id={AKID} aws_secret_access_key={AWS_SECRET} SecretAccessKey: {AWS_SECRET}\n"
        ),
        2,
        "MarkBedrockInvalid",
    ));
    files.push((
        "vertex/vertex.log",
        format!(
            "2025-10-02 09:00:09,402 INFO [httpx] HTTP Request: POST https://us-east5-aiplatform.googleapis.com/v1/projects/acme-prod/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict?access_token={YA29} \"HTTP/1.1 401 Unauthorized\"\n\
             2025-10-02 09:00:09,410 ERROR [app] summarize failed: anthropic.AuthenticationError: Error code: 401 - {{'error': {{'code': 401, 'message': 'MarkVertexAuth Request had invalid authentication credentials. Expected OAuth 2 access token. Authorization: Bearer {YA29} {ij}', 'status': 'UNAUTHENTICATED'}}}}\n\
             2025-10-02 09:01:25,312 ERROR [predict] google.api_core.exceptions.PermissionDenied: 403 MarkVertexSA Permission denied for service account with {{\"type\": \"service_account\", \"project_id\": \"acme-prod\", \"private_key_id\": \"{PKEY_ID}\", \"private_key\": \"{pk}\", \"client_email\": \"svc@acme-prod.iam.gserviceaccount.com\", \"client_secret\": \"{CLIENT_SECRET}\"}} token {YA29} key={AIZA} on resource publishers/anthropic/models/claude-opus-4-1@20250805\n"
        ),
        2,
        "MarkVertexSA",
    ));
    files.push((
        "litellm/proxy.log",
        format!(
            "\x1b[92m10:14:02 - LiteLLM Router:INFO\x1b[0m: router.py:2932 - litellm.acompletion(model=anthropic/claude-sonnet-4-5-20250929, api_key={VIRTUAL})\x1b[31m Exception litellm.AuthenticationError: AnthropicException - {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkLitellmAuth invalid x-api-key {ij}\"}},\"request_id\":\"req_011CMarkLitellm00001\"}}\x1b[0m\n\
             \x1b[92m10:14:03 - LiteLLM:DEBUG\x1b[0m: utils.py:301 - \n\nPOST Request Sent from LiteLLM:\ncurl -X POST \\\nhttps://api.anthropic.com/v1/messages \\\n-H 'anthropic-version: 2023-06-01' -H 'x-api-key: {API}' -H 'Authorization: Bearer {OAT}' -H 'Cookie: sessionKey={SID}' \\\n-d '{{\"model\": \"claude-sonnet-4-5-20250929\", \"messages\": [{{\"role\": \"user\", \"content\": \"PLANTEDprompt\"}}]}}'\n\n\
             \x1b[92m10:14:05 - LiteLLM Proxy:ERROR\x1b[0m: proxy_server.py:3012 - litellm.proxy.proxy_server.anthropic_response(): Exception occured - litellm.RateLimitError: AnthropicException - {{\"type\":\"error\",\"error\":{{\"type\":\"rate_limit_error\",\"message\":\"MarkLitellmRate curl -H 'x-api-key: {RAW_KEY}' -H 'Authorization: Bearer {BEARER}' api_key={VIRTUAL} {API}\"}},\"request_id\":\"req_011CMarkLitellm00002\"}}. Received Model Group=claude-sonnet-4-5\nAvailable Model Group Fallbacks=None\n"
        ),
        2,
        "MarkLitellmRate",
    ));
    let litellm_json = serde_json::json!({"message": format!("litellm.proxy.proxy_server.anthropic_response(): Exception occured - litellm.AuthenticationError: AnthropicException - {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkLitellmJson {ij}\"}},\"request_id\":\"req_011CMarkLitellmJ0001\"}}. Received Model Group=claude-sonnet-4-5\nAvailable Model Group Fallbacks=None api_key={VIRTUAL} -H 'x-api-key: {RAW_KEY}'"),
        "level": "ERROR", "timestamp": "2025-10-02T08:42:03.000871"});
    files.push((
        "litellm/proxy-json.log",
        format!("{litellm_json}\n"),
        1,
        "MarkLitellmJson",
    ));
    files.push((
        "gateway/new-api.log",
        format!(
            "[ERR] 2025/10/02 - 16:20:11 | 20251002162011482913572aB3dE9fQ1 | relay error (channel #7, status code: 401): bad response status code 401, message: MarkNewApi token {VIRTUAL} key {API}, body: {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkNewApiBody {ij}\"}}}}\n\
             [GIN] 2025/10/02 - 16:20:11 | 20251002162011482913572aB3dE9fQ1 | 401 |   2.31042s |    198.51.100.23 |    POST /v1/messages?key={AIZA}\n"
        ),
        1,
        "MarkNewApi",
    ));
    files.push((
        "gateway/one-api.log",
        format!(
            "[ERROR] 2025/02/21 - 19:30:16 | 2025022119301612345678901234 | controller/relay.go:83 [Relay] relay error (channel id 3, user id: 1): MarkOneApi bad response status code 401 Authorization: Bearer {VIRTUAL} {inline}\n\
             [GIN] 2025/02/21 - 19:30:16 | 2025022119301612345678901234 | 401 |    1.934521s |     203.0.113.7 |    POST /v1/messages?key={AIZA}\n"
        ),
        1,
        "MarkOneApi",
    ));
    files.push((
        "gateway/sub2api.log",
        format!(
            "2025/12/27 21:38:10 [Anthropic Passthrough] Upstream error (retry exhausted, failover): Account=3(console-03) Status=401 RequestID=req_011CMarkSub2Api00001 Body={{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkSub2Api {ij}\"}},\"request_id\":\"req_011CMarkSub2Api00001\"}}\n\
             2025/12/27 21:38:11 Account 3: upstream error 401 after 2 retries (not marking account) cookie: sessionKey={SID}; __cf_bm={CF_COOKIE} x-api-key: {OAT}\n"
        ),
        2,
        "MarkSub2Api",
    ));
    files
}

/// The secret itself, its last 8 characters, and the `PLANTED` tag, wherever they appear.
fn leaks(out: &str) -> Vec<String> {
    let mut found = Vec::new();
    for s in SECRETS {
        let tail = &s[s.len() - 8..];
        if out.contains(s) {
            found.push(format!("secret {s}"));
        } else if out.contains(tail) {
            found.push(format!("fragment {tail} of {s}"));
        }
    }
    if out.contains("PLANTED") {
        found.push("a PLANTED value".into());
    }
    found
}

fn context(out: &str, needle: &str) -> String {
    out.lines()
        .filter(|l| l.contains(needle))
        .take(3)
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_clean(what: &str, out: &str) {
    let found = leaks(out);
    let detail: Vec<String> = found
        .iter()
        .map(|f| {
            let needle = f.rsplit(' ').next().unwrap_or("PLANTED");
            let needle = if f.starts_with("a PLANTED") {
                "PLANTED"
            } else {
                needle
            };
            format!(
                "{f}:\n{}",
                context(out, &needle[needle.len().saturating_sub(8)..])
            )
        })
        .collect();
    assert!(found.is_empty(), "{what} leaks:\n{}", detail.join("\n\n"));
}

fn write_corpus(dir: &Path) -> Vec<(&'static str, String, usize, &'static str)> {
    let files = corpus();
    for (name, text, _, _) in &files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    files
}

#[test]
fn every_planted_failure_is_found() {
    let dir = common::temp_dir("secrets-found");
    let files = write_corpus(&dir);
    let d = dir.to_str().unwrap();
    let events = common::events(&[d]);
    let mut per_file: BTreeMap<String, usize> = BTreeMap::new();
    for e in &events {
        let file = e["file"].as_str().unwrap();
        let rel = file.strip_prefix(d).unwrap().trim_start_matches('/');
        *per_file.entry(rel.to_string()).or_default() += 1;
    }
    let all = events
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let mut problems = Vec::new();
    for (name, _, want, marker) in &files {
        let got = per_file.get(*name).copied().unwrap_or(0);
        if got != *want {
            problems.push(format!("{name}: {got} failures, expected {want}"));
        }
        let file_events: Vec<_> = events
            .iter()
            .filter(|e| e["file"].as_str().unwrap().ends_with(name))
            .map(|e| e.to_string())
            .collect();
        if !file_events.iter().any(|e| e.contains(marker)) {
            problems.push(format!(
                "{name}: marker {marker} not in its events:\n{}",
                file_events.join("\n")
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n\nall events:\n{all}",
        problems.join("\n")
    );
    // The masks are there: the secrets were on the lines that reach the output.
    assert!(all.contains("sk-ant-api03-[REDACTED]"), "{all}");
    assert!(all.contains("Bearer [REDACTED]"), "{all}");
    assert!(all.contains("AKIA[REDACTED]"), "{all}");
    assert!(all.contains("ya29.[REDACTED]"), "{all}");
    assert!(
        all.contains("-----BEGIN PRIVATE KEY-----[REDACTED]"),
        "{all}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn planted_secrets_reach_no_output_format() {
    let dir = common::temp_dir("secrets-outputs");
    write_corpus(&dir);
    let d = dir.to_str().unwrap();
    let by_all = "status,http_status,error_type,cluster,signature,model,provider,endpoint,source_kind,file,minute,hour,day";
    let events_file = dir.join("events-out.ndjson");
    let events_out = events_file.to_str().unwrap().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec![d],
        vec![d, "--full"],
        vec![d, "--format", "markdown"],
        vec![d, "--format", "html"],
        vec![d, "--format", "csv"],
        vec![d, "--format", "json"],
        vec![d, "--format", "csv", "--by", by_all],
        vec![d, "--format", "json", "--by", "error_type,model,endpoint"],
        vec![d, "--format", "markdown", "--by", "endpoint,provider"],
        vec![d, "--by", "model,endpoint,error_type"],
        vec![d, "--events"],
        vec![d, "--events", "--format", "ndjson"],
        vec![d, "--events", "--format", "csv"],
        vec![d, "--events-out", &events_out, "--format", "json"],
    ];
    for args in &runs {
        let o = common::run(args);
        let out = format!(
            "{}\n{}",
            common::stdout(&o),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(0), "{args:?}: {out}");
        assert!(
            out.contains("authentication_error"),
            "{args:?} found nothing:\n{out}"
        );
        assert_clean(&format!("{args:?}"), &out);
    }
    let written = std::fs::read_to_string(&events_file).unwrap();
    assert!(written.contains("MarkHarBody"), "{written}");
    assert_clean("--events-out", &written);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn explain_masks_what_it_was_given() {
    let ij = inline_json();
    let inputs = [
        format!("401 {{\"type\":\"error\",\"error\":{{\"type\":\"authentication_error\",\"message\":\"MarkExplain {ij}\"}}}}"),
        format!("anthropic.AuthenticationError: Error code: 401 - {{'type': 'error', 'error': {{'type': 'authentication_error', 'message': 'MarkExplain {}'}}}}", all_inline().replace('\'', "")),
        format!("API Error: 401 MarkExplain OAuth token {OAT} has expired {}", all_inline()),
        format!("MarkExplain something odd happened {}", all_inline()),
    ];
    for input in inputs {
        let o = common::bin()
            .args(["explain", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin.take().unwrap().write_all(input.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        let out = format!(
            "{}\n{}",
            common::stdout(&o),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(out.contains("MarkExplain"), "{input}\n->\n{out}");
        assert_clean("explain", &out);
    }
    // An argument that looks like an id is echoed back in the usage error: masked too.
    let o = common::run(&["explain", "ya29.a0fakelowercasetoken"]);
    let err = format!(
        "{}\n{}",
        common::stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!err.contains("fakelowercasetoken"), "{err}");
    let o = common::run(&["explain", YA29]);
    let out = format!(
        "{}\n{}",
        common::stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_clean("explain <token>", &out);
}

/// A partial report holds redacted text only: its document, and the failure records that
/// wait in it for the join by request id (decoded, since they are stored as bytes). The merge
/// of two partials of the corpus is the report of one run over it.
#[test]
fn partial_reports_hold_no_secret() {
    use base64::Engine;
    use std::io::Read;
    let dir = common::temp_dir("secrets-partial");
    let logs = dir.join("logs");
    let files = write_corpus(&logs);
    let d = logs.to_str().unwrap();
    let (a, b) = (dir.join("a.clsp"), dir.join("b.clsp"));
    let names: Vec<String> = files.iter().map(|(n, ..)| format!("{d}/{n}")).collect();
    let (first, second) = names.split_at(names.len() / 2);
    for (part, out) in [(first, &a), (second, &b)] {
        let mut args = vec!["--format", "partial", "-o", out.to_str().unwrap()];
        args.extend(part.iter().map(String::as_str));
        let o = common::run(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_clean("partial stderr", &String::from_utf8_lossy(&o.stderr));
    }
    let mut held = 0;
    for p in [&a, &b] {
        let bytes = std::fs::read(p).unwrap();
        let body = &bytes[bytes.iter().position(|&c| c == b'\n').unwrap() + 1..];
        let mut text = String::new();
        flate2::read::GzDecoder::new(body)
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.contains("authentication_error"), "{text}");
        assert_clean("partial document", &text);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        for f in doc["files"].as_array().unwrap() {
            for u in f["units"].as_array().unwrap() {
                for h in u["held"].as_array().unwrap() {
                    let raw = base64::engine::general_purpose::STANDARD_NO_PAD
                        .decode(h.as_str().unwrap())
                        .unwrap();
                    assert_clean("a held record", &String::from_utf8_lossy(&raw));
                    held += 1;
                }
            }
        }
    }
    assert!(
        held > 5,
        "the corpus has failures that wait for the join: {held}"
    );
    let mut merge = vec!["merge", "--format", "json"];
    merge.extend([a.to_str().unwrap(), b.to_str().unwrap()]);
    let merged = common::run(&merge);
    let one = common::run(&["--format", "json", d]);
    assert_eq!(merged.status.code(), Some(0));
    assert_clean("merge", &common::stdout(&merged));
    assert_eq!(common::stdout(&merged), common::stdout(&one));
    std::fs::remove_dir_all(&dir).unwrap();
}
