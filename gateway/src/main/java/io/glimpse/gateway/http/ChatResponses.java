package io.glimpse.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.ServiceInfo;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * OpenAI's response objects, with Glimpse's own account added where OpenAI's clients keep unknown
 * fields: {@code usage.glimpse} (visual tokens in and used, FLOPs) and a top-level {@code glimpse}
 * with each image's selection (kept origins, per-token scores) and the stage timings.
 */
final class ChatResponses {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFormat.Printer PROTO = JsonFormat.printer().preservingProtoFieldNames().alwaysPrintFieldsWithNoPresence()
            .omittingInsignificantWhitespace();

    private ChatResponses() {
    }

    static ObjectNode completion(String id, long created, String model, AskResponse r) {
        ObjectNode o = head(id, created, model, "chat.completion");
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant").put("content", r.getAnswer());
        message.putNull("refusal");   // the SDKs' types mark it required; Glimpse never refuses in words
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(r.getFinishReason()));
        o.set("usage", usage(r));
        o.set("glimpse", glimpse(r));
        return o;
    }

    /**
     * The first chunk names the role; content follows in deltas. With {@code usage} (the client set
     * {@code stream_options.include_usage}) every chunk before the usage chunk carries {@code usage: null}.
     */
    static ObjectNode roleChunk(String id, long created, String model, boolean usage) {
        return chunk(id, created, model, JSON.createObjectNode().put("role", "assistant").put("content", "")
                .putNull("refusal"), usage);
    }

    static ObjectNode deltaChunk(String id, long created, String model, String text, boolean usage) {
        return chunk(id, created, model, JSON.createObjectNode().put("content", text), usage);
    }

    private static ObjectNode chunk(String id, long created, String model, ObjectNode delta, boolean usage) {
        ObjectNode o = head(id, created, model, "chat.completion.chunk");
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        choice.putNull("finish_reason");
        if (usage) {
            o.putNull("usage");
        }
        return o;
    }

    /** The last choice chunk: the finish reason, and Glimpse's selections for whoever reads them. */
    static ObjectNode finishChunk(String id, long created, String model, AskResponse r, boolean usage) {
        ObjectNode o = head(id, created, model, "chat.completion.chunk");
        if (usage) {
            o.putNull("usage");
        }
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("delta");
        choice.put("finish_reason", finishReason(r.getFinishReason()));
        o.set("glimpse", glimpse(r));
        return o;
    }

    /** {@code stream_options.include_usage}: one more chunk, no choices, the usage. */
    static ObjectNode usageChunk(String id, long created, String model, AskResponse r) {
        ObjectNode o = head(id, created, model, "chat.completion.chunk");
        o.putArray("choices");
        o.set("usage", usage(r));
        return o;
    }

    /** {@code GET /v1/models}: the one model this deployment serves, with the whole metadata under {@code glimpse}. */
    static ObjectNode models(ServiceInfo info, long created) {
        ObjectNode o = JSON.createObjectNode();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        data.add(model(info, created));
        return o;
    }

    static ObjectNode model(ServiceInfo info, long created) {
        ObjectNode m = JSON.createObjectNode();
        m.put("id", info.getModel().getName());
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "glimpse");
        m.set("glimpse", proto(info));
        return m;
    }

    static ObjectNode error(HttpApiException e) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode err = o.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type);
        if (e.param == null) {
            err.putNull("param");
        } else {
            err.put("param", e.param);
        }
        err.put("code", e.code);
        return o;
    }

    private static ObjectNode head(String id, long created, String model, String object) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        o.put("object", object);
        o.put("created", created);
        o.put("model", model);
        return o;
    }

    private static ObjectNode usage(AskResponse r) {
        ObjectNode u = JSON.createObjectNode();
        int prompt = r.getUsage().getPromptTokens();
        int completion = r.getUsage().getGeneratedTokens();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        u.set("glimpse", proto(r.getUsage()));
        return u;
    }

    private static ObjectNode glimpse(AskResponse r) {
        ObjectNode g = JSON.createObjectNode();
        ArrayNode sel = g.putArray("selections");
        r.getSelectionsList().forEach(s -> sel.add(proto(s)));
        g.set("timings", proto(r.getTimings()));
        return g;
    }

    /** eos -> stop (OpenAI's word for a natural end), length stays length. */
    private static String finishReason(String glimpse) {
        return "length".equals(glimpse) ? "length" : "stop";
    }

    /**
     * A Glimpse message in its JSON form, with counts as JSON integers: protobuf's JSON mapping
     * writes 64-bit integers as strings and doubles such as FLOP counts as {@code 2.90791424E8}.
     */
    static ObjectNode proto(MessageOrBuilder m) {
        try {
            ObjectNode o = (ObjectNode) JSON.readTree(PROTO.print(m));
            integers(o, m.getDescriptorForType());
            return o;
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void integers(ObjectNode o, Descriptors.Descriptor type) {
        for (Descriptors.FieldDescriptor f : type.getFields()) {
            JsonNode v = o.get(f.getName());
            if (v == null) {
                continue;
            }
            if (v.isArray()) {
                ArrayNode a = (ArrayNode) v;
                for (int i = 0; i < a.size(); i++) {
                    JsonNode n = integer(a.get(i), f);
                    if (n != null) {
                        a.set(i, n);
                    }
                }
            } else {
                JsonNode n = integer(v, f);
                if (n != null) {
                    o.set(f.getName(), n);
                }
            }
        }
    }

    /** The integer form of a value, or null to keep it (nested messages are rewritten in place). */
    private static JsonNode integer(JsonNode v, Descriptors.FieldDescriptor f) {
        switch (f.getJavaType()) {
            case LONG -> {
                return v.isTextual() ? LongNode.valueOf(Long.parseLong(v.asText())) : null;
            }
            case DOUBLE -> {
                double d = v.asDouble();
                return v.isNumber() && d == Math.rint(d) && Math.abs(d) < 9.0e15 ? LongNode.valueOf((long) d) : null;
            }
            case MESSAGE -> {
                if (v.isObject()) {
                    integers((ObjectNode) v, f.getMessageType());
                }
                return null;
            }
            default -> {
                return null;
            }
        }
    }
}
