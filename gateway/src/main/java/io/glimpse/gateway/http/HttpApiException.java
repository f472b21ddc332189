package io.glimpse.gateway.http;

/**
 * A refusal in OpenAI's error shape: {@code {"error": {"message", "type", "param", "code"}}} with
 * the matching HTTP status.
 *
 * @param retryAfterSeconds for 429/503: when to come back (0 = not said)
 */
final class HttpApiException extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;
    final long retryAfterSeconds;

    HttpApiException(int status, String type, String message, String param, String code, long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: the request is wrong; {@code param} names the field. */
    static HttpApiException invalid(String param, String message) {
        return new HttpApiException(400, "invalid_request_error", message, param, "invalid_argument", 0);
    }
}
