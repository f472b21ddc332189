package io.glimpse.gateway.http;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The errors Jetty answers itself — a header block too large (431), a request it cannot parse
 * (400), a body that timed out (408) — in the API's own OpenAI shape instead of an HTML page, with
 * a plain message and never an internal exception's text.
 */
final class JsonErrorHandler extends ErrorHandler {
    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) throws IOException {
        byte[] body = body(code);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Long.toString(body.length));
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** Every method gets a body: a client of this API reads JSON whatever it sent. */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
        return ByteBuffer.wrap(body(status));
    }

    private static byte[] body(int status) {
        return body(of(status));
    }

    /** A refusal's body in the API's error shape, as bytes. */
    static byte[] body(HttpApiException e) {
        try {
            return ChatResponses.JSON.writeValueAsString(ChatResponses.error(e)).getBytes(StandardCharsets.UTF_8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
            throw new IllegalStateException(x);
        }
    }

    /** The refusal for a status Jetty chose; the message is ours, written for the caller. */
    static HttpApiException of(int status) {
        return switch (status) {
            case HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431 -> new HttpApiException(431, "invalid_request_error",
                    "the request's headers are too large", null, "request_header_fields_too_large", 0);
            case HttpStatus.REQUEST_TIMEOUT_408 -> new HttpApiException(408, "timeout_error",
                    "the request did not arrive in time; send it whole and promptly", null, "request_timeout", 0);
            case HttpStatus.PAYLOAD_TOO_LARGE_413 -> new HttpApiException(413, "invalid_request_error",
                    "the request body is too large", null, "request_too_large", 0);
            case HttpStatus.URI_TOO_LONG_414 -> new HttpApiException(414, "invalid_request_error",
                    "the request's URI is too long", null, "uri_too_long", 0);
            case HttpStatus.NOT_FOUND_404 -> new HttpApiException(404, "not_found_error",
                    "not an endpoint here (POST /v1/chat/completions, GET /v1/models, GET /)", null, "not_found", 0);
            case HttpStatus.METHOD_NOT_ALLOWED_405 -> new HttpApiException(405, "invalid_request_error",
                    "method not allowed here", null, "method_not_allowed", 0);
            default -> status >= 500
                    ? new HttpApiException(status, "server_error", "the server could not answer (HTTP " + status + ")",
                    null, "server_error", 0)
                    : new HttpApiException(status, "invalid_request_error", "the request is malformed (HTTP " + status
                    + "): " + (HttpStatus.getMessage(status) == null ? "bad request" : HttpStatus.getMessage(status)),
                    null, "bad_request", 0);
        };
    }
}
