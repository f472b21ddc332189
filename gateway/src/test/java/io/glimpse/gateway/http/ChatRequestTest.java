package io.glimpse.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.Pruning;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.Metadata;
import io.glimpse.common.grpc.StatusMapping;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP face's reading of Chat Completions requests and its mapping of gRPC statuses, without a chain. */
class ChatRequestTest {
    private static final ImageSources IMAGES = new ImageSources(List.of(), 1 << 20, Duration.ofSeconds(1));
    private static final String PNG = "data:image/png;base64," + Base64.getEncoder().encodeToString(new byte[]{(byte) 0x89, 'P', 'N', 'G'});

    private static JsonNode body(String extra) throws Exception {
        return ChatResponses.JSON.readTree("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what color ?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + PNG + "\"}}]}]" + extra + "}");
    }

    private static HttpApiException refused(String extra) {
        return assertThrows(HttpApiException.class, () -> ChatRequest.parse(body(extra), IMAGES, 256));
    }

    @Test
    void aPlainRequestBecomesAnAsk() throws Exception {
        ChatRequest r = ChatRequest.parse(body(",\"max_tokens\":8,\"pruning\":{\"method\":\"QUOTA\",\"keep_tokens\":16},"
                + "\"user\":\"u\",\"response_format\":{\"type\":\"text\"},\"stream\":true,\"stream_options\":{\"include_usage\":true}"),
                IMAGES, 256);
        AskRequest ask = r.ask();
        assertEquals("what color ?", ask.getQuestion());
        assertEquals(1, ask.getImagesCount());
        assertEquals(8, ask.getGeneration().getMaxNewTokens());
        assertEquals(Pruning.Method.QUOTA, ask.getPolicy().getPruning().getMethod());
        assertTrue(r.stream() && r.includeUsage());
    }

    /** Every field is honoured or refused by name: unknown ones too, never silently ignored. */
    @Test
    void fieldsGlimpseCannotHonourAreRefusedByName() {
        for (String[] c : new String[][]{{",\"response_format\":{\"type\":\"json_object\"}", "response_format"},
                {",\"tools\":[]", "tools"}, {",\"top_k\":3", "top_k"}, {",\"n\":2", "n"}, {",\"store\":true", "store"},
                {",\"logprobs\":true", "logprobs"}, {",\"stream_options\":{\"include_obfuscation\":true}", "stream_options.include_obfuscation"},
                {",\"modalities\":[\"audio\"]", "modalities"}, {",\"service_tier\":\"flex\"", "service_tier"},
                {",\"max_tokens\":257", "max_tokens"}, {",\"max_completion_tokens\":1000", "max_completion_tokens"},
                {",\"min_tokens\":300", "min_tokens"}}) {
            HttpApiException e = refused(c[0]);
            assertEquals(400, e.status, c[0]);
            assertEquals(c[1], e.param, c[0] + ": " + e.getMessage());
        }
        ChatRequest.FIELDS.forEach((f, kind) -> {
            if (kind == ChatRequest.Field.REFUSED) {
                assertEquals(f, refused(",\"" + f + "\":1").param, "every refused field is refused when sent");
            }
        });
    }

    @Test
    void anUnknownMethodListsTheValidOnes() {
        HttpApiException e = refused(",\"pruning\":{\"method\":\"MAGIC\"}");
        assertEquals("pruning", e.param);
        assertTrue(e.getMessage().contains("MAGIC") && e.getMessage().contains("DIVPRUNE") && e.getMessage().contains("QUOTA")
                && !e.getMessage().contains("METHOD_UNSPECIFIED"), e.getMessage());
    }

    @Test
    void grpcStatusesMapToOpenAisErrors() {
        Metadata trailers = new Metadata();
        trailers.put(StatusMapping.RETRY_PUSHBACK, "1500");
        HttpApiException busy = GrpcErrors.toHttp(Status.RESOURCE_EXHAUSTED.withDescription("busy").asRuntimeException(trailers));
        assertEquals(429, busy.status);
        assertEquals(2, busy.retryAfterSeconds, "rounded up to whole seconds");
        StatusRuntimeException late = Status.DEADLINE_EXCEEDED.withDescription("late").asRuntimeException();
        assertEquals(504, GrpcErrors.toHttp(late).status);
        assertEquals(401, GrpcErrors.toHttp(Status.UNAUTHENTICATED.asRuntimeException()).status);
        assertEquals(503, GrpcErrors.toHttp(Status.UNAVAILABLE.asRuntimeException()).status);
        assertEquals(500, GrpcErrors.toHttp(Status.INTERNAL.withDescription("internal error (id x)").asRuntimeException()).status);
    }
}
