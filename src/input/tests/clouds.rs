#[cfg(test)]
mod tests {
    use crate::input::{parse_text, FileScan, ScanOptions};
    use crate::record::SourceKind;
    use crate::record::Stamp;

    fn scan(text: &str) -> FileScan {
        parse_text(text, &ScanOptions::default())
    }

    #[test]
    fn a_botocore_error_that_mentions_litellm_in_passing_is_still_read() {
        // Found by the planted-secrets test: a virtual key named `sk-...litellm...` made the
        // line look like LiteLLM's, and neither parser took it.
        let s = scan(concat!(
            "2025-10-02 08:41:00,533 ERROR [app] invoke failed: botocore.errorfactory.ValidationException: An error occurred (ValidationException) when calling the InvokeModel operation: Malformed input request (key sk-FAKElitellmVirtualKey, config /etc/litellm/config.yaml)\n",
            "litellm.RateLimitError: BedrockException - {\"message\":\"Too many requests, please wait before trying again.\"}\n",
        ));
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        assert_eq!(s.failures[0].http_status, Some(400));
        assert_eq!(s.failures[0].source_kind, SourceKind::Bedrock);
        // The LiteLLM line names no model: the Bedrock call just before makes it Claude's
        // (read by the format-agnostic layer).
        assert_eq!(s.failures[1].http_status, Some(429));
        assert_eq!(s.failures[1].source_kind, SourceKind::ErrorText);
        assert_eq!(s.failures[1].provider.as_deref(), Some("bedrock"));
    }

    #[test]
    fn botocore_client_errors() {
        let s = scan(concat!(
            "botocore.errorfactory.ThrottlingException: An error occurred (ThrottlingException) when calling the InvokeModel operation (reached max retries: 4): Too many requests, please wait before trying again.\n",
            "2025-10-02 08:41:17,001 ERROR [main] An error occurred (ValidationException) when calling the Converse operation: Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.\n",
            "botocore.exceptions.EventStreamError: An error occurred (modelStreamErrorException) when calling the ConverseStream operation: Model produced invalid sequence as part of ToolUse. Please refer to the model tool use troubleshooting guide.\n",
            "botocore.exceptions.EventStreamError: An error occurred (throttlingException) when calling the InvokeModelWithResponseStream operation: Too many requests, please wait before trying again.\n",
            "botocore.errorfactory.NoSuchKey: An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist.\n",
            "An error occurred (ValidationException) when calling the InvokeModel operation: Malformed input request for amazon.titan-embed-text-v2:0\n",
        ));
        assert_eq!(s.failures.len(), 4, "{:#?}", s.failures);
        let f = &s.failures[0];
        assert_eq!((f.http_status, f.attempt), (Some(429), Some(5)));
        assert_eq!(f.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(f.provider_code.as_deref(), Some("ThrottlingException"));
        assert_eq!(f.source_kind, SourceKind::Bedrock);
        let v = &s.failures[1];
        assert_eq!(
            v.model.as_deref(),
            Some("anthropic.claude-3-5-sonnet-20241022-v2:0")
        );
        assert_eq!(
            v.endpoint.as_deref(),
            Some("/model/anthropic.claude-3-5-sonnet-20241022-v2:0/converse")
        );
        assert!(matches!(v.stamp, Some(Stamp::Naive(_))));
        let m = &s.failures[2];
        assert_eq!(m.effective_status(), None);
        assert_eq!(m.error_type.as_deref(), Some("stream_error"));
        assert_eq!(
            m.provider_code.as_deref(),
            Some("modelStreamErrorException")
        );
        let t = &s.failures[3];
        assert_eq!(
            (t.http_status, t.effective_status()),
            (Some(200), Some(429))
        );
        assert_eq!(s.lines.noise, 2);
    }

    #[test]
    fn botocore_transport_errors_on_bedrock_urls() {
        let s = scan(concat!(
            "botocore.exceptions.ReadTimeoutError: Read timeout on endpoint URL: \"https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/invoke\"\n",
            "botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: \"https://bedrock-runtime.eu-west-9.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1:0/converse\"\n",
            "botocore.exceptions.ReadTimeoutError: Read timeout on endpoint URL: \"https://s3.amazonaws.com/bucket/key\"\n",
        ));
        assert_eq!(s.failures.len(), 2, "{:#?}", s.failures);
        let t = &s.failures[0];
        assert_eq!(t.error_type.as_deref(), Some("client_timeout"));
        assert_eq!(
            t.model.as_deref(),
            Some("us.anthropic.claude-sonnet-4-20250514-v1:0")
        );
        assert_eq!(
            s.failures[1].error_type.as_deref(),
            Some("connection_error")
        );
    }

    #[test]
    fn google_api_core_needs_claude() {
        let s = scan(concat!(
            "google.api_core.exceptions.ResourceExhausted: 429 Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude-3-5-sonnet-v2. Please submit a quota increase request.\n",
            "google.api_core.exceptions.ResourceExhausted: 429 Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model with base model: gemini-1.5-pro.\n",
            "google.api_core.exceptions.RetryError: Timeout of 600.0s exceeded, last exception: 429 Quota exceeded for base model: anthropic-claude-opus-4\n",
        ));
        assert_eq!(s.failures.len(), 2);
        let f = &s.failures[0];
        assert_eq!(f.source_kind, SourceKind::Vertex);
        assert_eq!(f.http_status, Some(429));
        assert_eq!(f.provider_code.as_deref(), Some("ResourceExhausted"));
        assert_eq!(f.model.as_deref(), Some("anthropic-claude-3-5-sonnet-v2"));
        assert_eq!(s.failures[1].http_status, Some(429));
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn google_envelopes_in_lines() {
        let s = scan(concat!(
            "2025-10-02T08:41:17Z ERROR rawPredict publishers/anthropic/models/claude-sonnet-4@20250514 failed: [{\"error\": {\"code\": 429, \"message\": \"Resource exhausted. Please try again later.\", \"status\": \"RESOURCE_EXHAUSTED\"}}]\n",
            "2025-10-02T08:41:18Z ERROR gemini failed: {\"error\": {\"code\": 429, \"message\": \"Resource exhausted.\", \"status\": \"RESOURCE_EXHAUSTED\"}}\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(f.model.as_deref(), Some("claude-sonnet-4@20250514"));
    }

    /// A Go `errorVerbose` that repeats `error`, hard-wrapped onto the next line: one error.
    /// The same error on a later line is another attempt.
    #[test]
    fn an_exception_told_again_on_the_next_line_is_one_failure() {
        let told = "relay error {\"model\": \"claude-sonnet-4-5\", \"error\": \"StatusCode: 400, ValidationException: Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn’t supported.\", \"errorVerbose\": \"StatusCode: 400, \n";
        let wrapped = "ValidationException: Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn’t supported.\\nInvokeModel\\n\\t/app/main.go:188\"}\n";
        let s = scan(&format!("{told}{wrapped}"));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].line, Some(1));
        let s = scan(&format!("{told}{wrapped}next request\n{told}"));
        assert_eq!(s.failures.len(), 2);
    }

    #[test]
    fn aws_js_error_dump() {
        let s = scan("Bedrock call failed: ThrottlingException: Too many requests, please wait before trying again.\n    at de_ThrottlingExceptionRes (/app/node_modules/@aws-sdk/client-bedrock-runtime/dist-cjs/index.js:1423:21)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5) {\n  '$fault': 'client',\n  '$metadata': {\n    httpStatusCode: 429,\n    requestId: '9b2c4d6e-1f3a-4b5c-8d7e-0a1b2c3d4e5f',\n    extendedRequestId: undefined,\n    cfId: undefined,\n    attempts: 3,\n    totalRetryDelay: 1280\n  }\n}\nnext\n");
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!((f.http_status, f.attempt), (Some(429), Some(3)));
        assert_eq!(
            f.request_id.as_deref(),
            Some("9b2c4d6e-1f3a-4b5c-8d7e-0a1b2c3d4e5f")
        );
        assert_eq!(s.lines.relevant, 13);
        let s = scan("ValidationException: One or more parameter values were invalid\n    at de (/app/node_modules/@aws-sdk/client-dynamodb/index.js:1:1) {\n  '$fault': 'client',\n  '$metadata': {\n    httpStatusCode: 400,\n  }\n}\n");
        assert!(s.failures.is_empty());
        assert_eq!(s.lines.relevant, 0);
    }

    #[test]
    fn invocation_logs() {
        let s = scan(concat!(
            r#"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2025-10-02T08:41:17Z","accountId":"123456789012","region":"us-east-1","requestId":"6f1c2e3d-0a9b-4c8d-9e7f-112233445566","operation":"InvokeModel","modelId":"us.anthropic.claude-sonnet-4-20250514-v1:0","input":{"inputContentType":"application/json","inputTokenCount":812},"output":{"outputContentType":"application/json","outputTokenCount":96}}"#,
            "\n",
            r#"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2025-10-02T08:41:19Z","requestId":"7a2d3e4f-1b0c-4d9e-8f70-223344556677","operation":"InvokeModel","modelId":"us.anthropic.claude-sonnet-4-20250514-v1:0","errorCode":"ThrottlingException","errorMessage":"Too many requests, please wait before trying again."}"#,
            "\n",
            r#"{"schemaType":"ModelInvocationLog","schemaVersion":"1.0","timestamp":"2025-10-02T08:41:19Z","requestId":"8","operation":"InvokeModel","modelId":"amazon.titan-text-express-v1","errorCode":"ThrottlingException"}"#,
            "\n",
        ));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.successes.values().sum::<u64>(), 1);
        let f = &s.failures[0];
        assert_eq!(f.http_status, Some(429));
        assert_eq!(
            f.request_id.as_deref(),
            Some("7a2d3e4f-1b0c-4d9e-8f70-223344556677")
        );
        assert_eq!(
            f.endpoint.as_deref(),
            Some("/model/us.anthropic.claude-sonnet-4-20250514-v1:0/invoke")
        );
        assert_eq!(s.lines.noise, 1);
    }

    #[test]
    fn pretty_printed_google_error_after_a_log_line_is_one_failure() {
        let s = scan(concat!(
            "2025-10-02 16:20:11,482 ERROR [w] claude call failed, body:\n",
            "{\n",
            "  \"error\": {\n",
            "    \"code\": 429,\n",
            "    \"message\": \"Resource exhausted. Please try again later.\",\n",
            "    \"status\": \"RESOURCE_EXHAUSTED\"\n",
            "  }\n",
            "}\n",
            "2025-10-02 16:20:12,000 INFO [w] gemini call failed, body:\n",
            "{\n",
            "  \"error\": {\"code\": 429, \"message\": \"Resource exhausted.\", \"status\": \"RESOURCE_EXHAUSTED\"}\n",
            "}\n",
        ));
        assert_eq!(s.failures.len(), 1);
        let f = &s.failures[0];
        assert_eq!(f.line, Some(2));
        assert_eq!(f.http_status, Some(429));
        assert_eq!(f.provider_code.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert!(f.stamp.is_some());
        assert_eq!(s.lines.relevant, 7);
        assert_eq!(s.lines.read, 12);
    }

    #[test]
    fn an_open_brace_that_is_not_json_does_not_swallow_the_next_lines() {
        let s = scan(concat!(
            "{\n",
            "[2025-11-03 09:14:03 - httpx:1025 - INFO] HTTP Request: POST https://api.anthropic.com/v1/messages \"HTTP/1.1 529 \"\n",
        ));
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].http_status, Some(529));
    }

    #[test]
    fn botocore_debug_attempts_and_the_final_error_are_one_failure_each_attempt() {
        let s = scan(concat!(
            "2025-10-02 08:41:17,120 urllib3.connectionpool [DEBUG] https://bedrock-runtime.us-east-1.amazonaws.com:443 \"POST /model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke HTTP/1.1\" 429 65\n",
            "2025-10-02 08:41:17,121 botocore.parsers [DEBUG] Response headers: {'x-amzn-RequestId': '6f1c2e3d-0a9b-4c8d-9e7f-112233445566', 'x-amzn-ErrorType': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/'}\n",
            "2025-10-02 08:41:17,122 botocore.retries.standard [DEBUG] Retry needed, retrying request after delay of: 0.68\n",
            "2025-10-02 08:41:18,120 urllib3.connectionpool [DEBUG] https://bedrock-runtime.us-east-1.amazonaws.com:443 \"POST /model/anthropic.claude-3-5-sonnet-20241022-v2%3A0/invoke HTTP/1.1\" 429 65\n",
            "2025-10-02 08:41:18,200 app [ERROR] failed: An error occurred (ThrottlingException) when calling the InvokeModel operation (reached max retries: 1): Too many requests, please wait before trying again.\n",
            "2025-10-02 08:41:19,120 urllib3.connectionpool [DEBUG] https://bedrock-runtime.us-east-1.amazonaws.com:443 \"POST /model/meta.llama3-70b-instruct-v1%3A0/invoke HTTP/1.1\" 429 65\n",
        ));
        assert_eq!(s.failures.len(), 2);
        assert_eq!(s.failures[0].attempt, Some(1));
        assert_eq!(
            s.failures[0].request_id.as_deref(),
            Some("6f1c2e3d-0a9b-4c8d-9e7f-112233445566")
        );
        assert_eq!(s.failures[1].attempt, Some(2));
        assert_eq!(
            s.failures[1].provider_code.as_deref(),
            Some("ThrottlingException")
        );
        assert_eq!(
            s.failures[1].endpoint.as_deref(),
            Some("/model/anthropic.claude-3-5-sonnet-20241022-v2:0/invoke")
        );
    }

    /// A pretty-printed value that is not a Google error envelope (a Worker's tail event) is
    /// read line by line: the error inside it is found where it is.
    #[test]
    fn pretty_json_that_is_not_a_google_envelope_is_read_by_lines() {
        let text = concat!(
            "Connected to chat-edge, waiting for logs...\n",
            "{\n",
            "  \"outcome\": \"ok\",\n",
            "  \"logs\": [\n",
            "    {\n",
            "      \"message\": [\n",
            "        \"Error: 529 {\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":\\\"overloaded_error\\\",\\\"message\\\":\\\"Overloaded\\\"},\\\"request_id\\\":\\\"req_011CcgOyi0NsKvxnRNg3jshj\\\"}\"\n",
            "      ],\n",
            "      \"level\": \"error\"\n",
            "    }\n",
            "  ]\n",
            "}\n",
        );
        let s = parse_text(text, &ScanOptions::default());
        assert_eq!(s.failures.len(), 1, "{:#?}", s.failures);
        assert_eq!(s.failures[0].line, Some(7));
        assert_eq!(s.failures[0].effective_status(), Some(529));
    }

    /// `aws logs tail` of a Lambda: a Bedrock error that names no model belongs to the log
    /// stream whose last model was another vendor's (an embedding call), not to the Claude
    /// call another stream was making.
    #[test]
    fn a_lambda_streams_error_is_its_own_calls() {
        let line = |stream: &str, level: &str, msg: &str| {
            format!("2025-03-11T09:14:03.466000+00:00 2025/03/11/[$LATEST]{stream} [{level}]\t2025-03-11T09:14:03.466Z\tc0ffee12-3456-4789-abcd-ef0123456789\t{msg}\n")
        };
        let (a, b) = (
            "b81e3d5a09c2476f8e1d4a6b3c5f7e21",
            "0d9a7c6b5e4f43a2b1c0d9e8f7a6b5c4",
        );
        let throttled = "An error occurred (ThrottlingException) when calling the InvokeModel operation (reached max retries: 4): Too many requests, please wait before trying again.";
        let text = [
            line(
                a,
                "INFO",
                "## INVOKING MODEL anthropic.claude-3-sonnet-20240229-v1:0",
            ),
            line(
                b,
                "INFO",
                "## EMBEDDING CHUNKS amazon.titan-embed-text-v2:0 (14 chunks)",
            ),
            line(b, "ERROR", throttled),
            line(a, "ERROR", throttled),
        ]
        .concat();
        let s = scan(&text);
        let lines: Vec<_> = s.failures.iter().map(|f| f.line).collect();
        assert_eq!(lines, [Some(4)]);
    }
}
