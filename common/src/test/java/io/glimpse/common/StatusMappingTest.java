package io.glimpse.common;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.grpc.StatusMapping;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatusMappingTest {
    /** Unexpected failures reach the caller as a generic INTERNAL with an error id; the detail stays in the log. */
    @Test
    void internalErrorsLeakNoDetail() {
        StatusRuntimeException s = StatusMapping.toStatus(new OutOfMemoryError("Java heap space"));
        assertEquals(Status.Code.INTERNAL, s.getStatus().getCode());
        assertFalse(s.getStatus().getDescription().contains("OutOfMemoryError"), s.getStatus().getDescription());
        assertTrue(s.getStatus().getDescription().matches("internal error \\(id [0-9a-f]{8}\\).*"), s.getStatus().getDescription());
        StatusRuntimeException ort = StatusMapping.toStatus(new GlimpseException(GlimpseException.Kind.INTERNAL,
                "ONNX Runtime: /onnxruntime_src/onnxruntime/core/providers/cpu/tensor/gather.cc:123 index out of range"));
        assertFalse(ort.getStatus().getDescription().contains("onnxruntime_src"), ort.getStatus().getDescription());
    }

    /** A load refusal's retry-after travels as grpc-retry-pushback-ms and survives the gateway's stage prefix. */
    @Test
    void retryAfterTravelsInTheTrailers() {
        StatusRuntimeException s = StatusMapping.toStatus(GlimpseException.exhausted("busy", Duration.ofMillis(250)));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getStatus().getCode());
        assertEquals("250", s.getTrailers().get(StatusMapping.RETRY_PUSHBACK));
        StatusRuntimeException staged = StatusMapping.fromStage("vlm-runner", s);
        assertEquals("vlm-runner: busy", staged.getStatus().getDescription());
        assertEquals(Duration.ofMillis(250), StatusMapping.retryAfter(staged));
    }

    /** Transport failures reach the caller as the stage and what happened, never a replica's address. */
    @Test
    void transportFailuresHideAddresses() {
        StatusRuntimeException refused = Status.UNAVAILABLE.withDescription("io exception")
                .withCause(new java.net.ConnectException("Connection refused: /10.1.2.3:50054")).asRuntimeException();
        String d = StatusMapping.fromStage("vlm-runner", refused).getStatus().getDescription();
        assertTrue(d.startsWith("vlm-runner: unavailable") && d.contains("error id"), d);
        StatusRuntimeException late = Status.DEADLINE_EXCEEDED.withDescription(
                "deadline exceeded after 0.99s. [closed=[], open=[[remote_addr=10.1.2.3/10.1.2.3:50052]]]").asRuntimeException();
        String e = StatusMapping.fromStage("image-tokenizer", late).getStatus().getDescription();
        assertFalse(e.contains("10.1.2.3") || e.contains("remote_addr"), e);
        assertEquals(Status.Code.DEADLINE_EXCEEDED, StatusMapping.fromStage("image-tokenizer", late).getStatus().getCode());
        // a service's own words pass through
        StatusRuntimeException invalid = Status.INVALID_ARGUMENT.withDescription("keep_tokens must be >= 0").asRuntimeException();
        assertEquals("token-pruner: keep_tokens must be >= 0", StatusMapping.fromStage("token-pruner", invalid).getStatus().getDescription());
    }
}
