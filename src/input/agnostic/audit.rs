//! Cloud audit records of model calls: AWS CloudTrail data events for Bedrock and Google Cloud
//! audit logs (data access) for Vertex AI, in the shapes people export them: one record per
//! line, a `{"Records": [...]}` file, `aws cloudtrail lookup-events` (the record as an escaped
//! string under `CloudTrailEvent`), CloudTrail Lake rows (arrays of one-key objects),
//! EventBridge events (the record under `detail`), and flat query results whose columns were
//! renamed (`method`, `resource`, `status_code`, `status_message`).
//!
//! A record is a call when it names a Bedrock runtime operation on an Anthropic model, or a
//! Vertex prediction on an `anthropic` publisher model; token counting and management calls are
//! not calls. A record with an error code is a failure; the code gives the status.

use serde_json::{Map, Value};

use crate::input::toolkit::api::{google_status_code, google_status_error_type};
use crate::record::{Outcome, Record, SourceKind, Stamp};
use crate::time;

/// The fields of an audit record, whatever the export's spelling.
#[derive(Default)]
struct Fields<'a> {
    operation: Option<&'a str>,
    service: Option<&'a str>,
    resource: Option<String>,
    error_code: Option<String>,
    message: Option<&'a str>,
    request_id: Option<&'a str>,
    time: Option<&'a str>,
}

/// Look a key up in `map`, ignoring case, `_`, `-` and `.` (`errorCode`, `error_code`,
/// `ErrorCode`).
fn get<'a>(map: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    let norm = |k: &str| -> String {
        k.chars()
            .filter(|c| !matches!(c, '_' | '-' | '.'))
            .flat_map(char::to_lowercase)
            .collect()
    };
    for (k, v) in map {
        let n = norm(k);
        if names.iter().any(|w| *w == n) {
            if v.is_null() {
                continue;
            }
            return Some(v);
        }
    }
    None
}

fn string<'a>(map: &'a Map<String, Value>, names: &[&str]) -> Option<&'a str> {
    get(map, names)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A CloudTrail Lake row: an array of one-key objects, merged into one object.
fn merged_row(items: &[Value]) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    for item in items {
        let obj = item.as_object()?;
        if obj.len() != 1 {
            return None;
        }
        for (k, v) in obj {
            out.insert(k.clone(), v.clone());
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The model of a CloudTrail `requestParameters`: an object, a JSON string, or a Java-style
/// map string (`{modelId=...}`).
fn model_id(params: &Value) -> Option<String> {
    match params {
        Value::Object(m) => string(m, &["modelid"]).map(str::to_string),
        Value::String(s) => {
            if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(s) {
                return string(&m, &["modelid"]).map(str::to_string);
            }
            let at = s.find("modelId=")? + "modelId=".len();
            let rest = &s[at..];
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            Some(rest[..end].trim().to_string()).filter(|m| !m.is_empty())
        }
        _ => None,
    }
}

fn cloudtrail(map: &Map<String, Value>) -> Option<Fields<'_>> {
    // CloudTrail Lake queries may leave `eventSource` out: the operation tells then.
    match string(map, &["eventsource"]) {
        Some(source) if !source.starts_with("bedrock") => return None,
        None if get(map, &["requestparameters"]).is_none() => return None,
        _ => {}
    }
    string(map, &["eventname"])?;
    let params = get(map, &["requestparameters"]);
    Some(Fields {
        operation: string(map, &["eventname"]),
        service: Some("bedrock"),
        resource: params.and_then(model_id),
        error_code: string(map, &["errorcode"]).map(str::to_string),
        message: string(map, &["errormessage"]),
        request_id: string(map, &["requestid"]),
        time: string(map, &["eventtime"]),
    })
}

fn google(map: &Map<String, Value>) -> Option<Fields<'_>> {
    let payload = get(map, &["protopayload"]).and_then(Value::as_object);
    let p = payload.unwrap_or(map);
    let method = string(
        p,
        &["methodname", "method", "protopayloadauditlogmethodname"],
    )?;
    if !method.contains("aiplatform") && !method.contains("PredictionService") {
        return None;
    }
    let resource = string(
        p,
        &[
            "resourcename",
            "resource",
            "protopayloadauditlogresourcename",
        ],
    )?;
    let status = get(p, &["status"]).and_then(Value::as_object);
    let code = status
        .and_then(|s| get(s, &["code"]))
        .or_else(|| get(p, &["statuscode", "protopayloadauditlogstatuscode"]));
    let code = match code {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|c| *c != 0);
    let message = status
        .and_then(|s| string(s, &["message"]))
        .or_else(|| string(p, &["statusmessage", "protopayloadauditlogstatusmessage"]));
    let time = string(map, &["timestamp"]).or_else(|| {
        get(p, &["requestmetadata"])
            .and_then(Value::as_object)
            .and_then(|m| get(m, &["requestattributes"]))
            .and_then(Value::as_object)
            .and_then(|m| string(m, &["time"]))
    });
    Some(Fields {
        operation: Some(method.rsplit('.').next().unwrap_or(method)),
        service: Some("vertex"),
        resource: Some(resource.to_string()),
        error_code: code.map(|c| c.to_string()),
        message,
        request_id: string(map, &["insertid"]),
        time,
    })
}

/// gRPC's numeric codes, as Google's audit logs write them.
pub(super) fn grpc_name(code: u64) -> Option<&'static str> {
    Some(match code {
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        16 => "UNAUTHENTICATED",
        _ => return None,
    })
}

/// The fields of whatever audit record `v` holds, unwrapped from its export.
fn fields(v: &Value) -> Option<Fields<'_>> {
    fields_of(v, 0)
}

fn fields_of(v: &Value, depth: u8) -> Option<Fields<'_>> {
    if depth > 2 {
        return None;
    }
    let map = v.as_object()?;
    if let Some(f) = cloudtrail(map).or_else(|| google(map)) {
        return Some(f);
    }
    // EventBridge: the CloudTrail record under `detail`.
    if let Some(detail) = map.get("detail") {
        return fields_of(detail, depth + 1);
    }
    None
}

/// Failures and calls of one audit record. `None`: not an audit record of a model call.
pub(crate) fn records(v: &Value) -> Option<Vec<Record>> {
    // `lookup-events`: the record as an escaped string; CloudTrail Lake: one-key objects.
    if let Some(map) = v.as_object() {
        if let Some(Value::String(s)) = map.get("CloudTrailEvent") {
            let inner: Value = serde_json::from_str(s).ok()?;
            return audit_record(fields(&inner)?).map(|r| vec![r]);
        }
    }
    if let Value::Array(items) = v {
        let row = Value::Object(merged_row(items)?);
        return audit_record(fields(&row)?).map(|r| vec![r]);
    }
    audit_record(fields(v)?).map(|r| vec![r])
}

fn audit_record(f: Fields) -> Option<Record> {
    let operation = f.operation?;
    let resource = f.resource?;
    let (kind, provider, status, error_type, code) = match f.service? {
        "bedrock" => {
            if !matches!(
                operation,
                "InvokeModel" | "InvokeModelWithResponseStream" | "Converse" | "ConverseStream"
            ) || !resource.contains("anthropic")
            {
                return None;
            }
            let (status, et) = match f.error_code.as_deref() {
                Some(c) => match crate::input::toolkit::cloud_text::bedrock_code(c) {
                    Some((s, et)) => (s, Some(et)),
                    None => (None, Some("api_error")),
                },
                None => (None, None),
            };
            (SourceKind::Bedrock, "bedrock", status, et, f.error_code)
        }
        _ => {
            if !resource.contains("publishers/anthropic") || operation.contains("CountTokens") {
                return None;
            }
            let name = f
                .error_code
                .as_deref()
                .and_then(|c| c.parse::<u64>().ok())
                .and_then(grpc_name);
            let status = name.and_then(google_status_code);
            let et = name.map(|n| google_status_error_type(n).unwrap_or("api_error"));
            let et = match f.error_code {
                Some(_) if et.is_none() => Some("api_error"),
                _ => et,
            };
            (
                SourceKind::Vertex,
                "vertex",
                status,
                et,
                name.map(str::to_string),
            )
        }
    };
    let failed = error_type.is_some();
    let mut r = Record::new(kind, Outcome::of(failed));
    r.provider = Some(provider.into());
    r.http_status = status;
    r.error_type = error_type.map(str::to_string);
    r.provider_code = code;
    r.message = f.message.map(str::to_string);
    r.request_id = f.request_id.map(str::to_string);
    r.stamp = f.time.and_then(audit_stamp);
    r.endpoint = Some(match kind {
        SourceKind::Bedrock => format!("/model/{resource}/{}", operation_path(operation)),
        _ => format!("/v1/{resource}:{}", lower_first(operation)),
    });
    r.model = Some(resource.rsplit('/').next().unwrap_or(&resource).to_string());
    Some(r)
}

fn operation_path(op: &str) -> &'static str {
    match op {
        "InvokeModelWithResponseStream" => "invoke-with-response-stream",
        "Converse" => "converse",
        "ConverseStream" => "converse-stream",
        _ => "invoke",
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

fn audit_stamp(t: &str) -> Option<Stamp> {
    time::iso(t).or_else(|| super::access::stamp_anywhere(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudtrail_record_with_error_code() {
        let v: Value = serde_json::from_str(r#"{"eventTime":"2025-09-09T07:12:03Z","eventSource":"bedrock.amazonaws.com","eventName":"InvokeModel","requestParameters":{"modelId":"anthropic.claude-3-5-haiku-20241022-v1:0"},"errorCode":"ThrottlingException","errorMessage":"Too many requests, please wait before trying again.","requestID":"3e1f0c2a"}"#).unwrap();
        let r = records(&v).unwrap();
        assert_eq!(r[0].http_status, Some(429));
        assert_eq!(r[0].error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(
            r[0].model.as_deref(),
            Some("anthropic.claude-3-5-haiku-20241022-v1:0")
        );
        assert!(r[0].stamp.is_some());
    }

    #[test]
    fn other_models_and_management_calls_are_not_calls() {
        let titan: Value = serde_json::from_str(r#"{"eventSource":"bedrock.amazonaws.com","eventName":"InvokeModel","requestParameters":{"modelId":"amazon.titan-embed-text-v2:0"},"errorCode":"ThrottlingException"}"#).unwrap();
        assert!(records(&titan).is_none());
        let list: Value = serde_json::from_str(r#"{"eventSource":"bedrock.amazonaws.com","eventName":"ListFoundationModels","requestParameters":null}"#).unwrap();
        assert!(records(&list).is_none());
    }

    #[test]
    fn google_audit_entry_and_flat_rows() {
        let v: Value = serde_json::from_str(r#"{"protoPayload":{"serviceName":"aiplatform.googleapis.com","methodName":"google.cloud.aiplatform.v1.PredictionService.RawPredict","resourceName":"projects/p/locations/us-east5/publishers/anthropic/models/claude-haiku-4-5@20251001","status":{"code":8,"message":"Quota exceeded"}},"timestamp":"2025-11-03T14:02:10.118226Z"}"#).unwrap();
        let r = records(&v).unwrap();
        assert_eq!(r[0].http_status, Some(429));
        assert_eq!(r[0].provider_code.as_deref(), Some("RESOURCE_EXHAUSTED"));
        let row: Value = serde_json::from_str(r#"[{"eventTime":"2025-08-12 06:00:05.000"},{"eventName":"InvokeModel"},{"eventSource":"bedrock.amazonaws.com"},{"errorCode":"AccessDeniedException"},{"requestParameters":"{modelId=us.anthropic.claude-sonnet-4-20250514-v1:0}"}]"#).unwrap();
        let r = records(&row).unwrap();
        assert_eq!(r[0].http_status, Some(403));
        let ok: Value = serde_json::from_str(r#"{"method":"google.cloud.aiplatform.v1.PredictionService.StreamRawPredict","resource":"projects/p/locations/global/publishers/anthropic/models/claude-opus-4-1@20250805","status_code":null}"#).unwrap();
        assert_eq!(records(&ok).unwrap()[0].outcome, Outcome::Success);
    }
}
