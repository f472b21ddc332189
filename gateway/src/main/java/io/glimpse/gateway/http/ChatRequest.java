package io.glimpse.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.Image;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.proto.v1.Tokenization;

import java.util.ArrayList;
import java.util.List;

/**
 * An OpenAI Chat Completions request as a Glimpse {@link AskRequest}. Glimpse answers one question
 * about one or more images, so the request carries exactly one user message (its text parts are
 * the question, its {@code image_url} parts the images, in order); system and developer messages
 * are accepted and not used, as the model has no system prompt. The token policy rides along as
 * extra body fields, the way vLLM accepts its own: {@code tokenization} and {@code pruning} in the
 * proto's JSON form, and vLLM's {@code min_tokens}.
 *
 * @param model        the model the client named (null when it named none)
 * @param includeUsage streaming: send a last chunk with the usage ({@code stream_options.include_usage})
 */
record ChatRequest(AskRequest ask, String model, boolean stream, boolean includeUsage) {
    /**
     * Every field of OpenAI's Chat Completions request, and what Glimpse does with it. A field not
     * listed here (a typo, another server's extension) is refused by name rather than ignored.
     */
    enum Field {
        /** Read and honoured. */
        HONOURED,
        /** Honoured at its one meaningful value (n = 1, no stop sequences, ...); another value is refused. */
        ONE_VALUE,
        /** A label with no effect on the answer (user, metadata, cache keys): accepted and not used. */
        LABEL,
        /** Glimpse cannot honour it: refused by name. */
        REFUSED,
        /** Glimpse's own extension (the token policy, vLLM's min_tokens). */
        GLIMPSE
    }

    static final java.util.Map<String, Field> FIELDS = java.util.Map.ofEntries(
            java.util.Map.entry("messages", Field.HONOURED), java.util.Map.entry("model", Field.HONOURED),
            java.util.Map.entry("max_tokens", Field.HONOURED), java.util.Map.entry("max_completion_tokens", Field.HONOURED),
            java.util.Map.entry("stream", Field.HONOURED), java.util.Map.entry("stream_options", Field.HONOURED),
            java.util.Map.entry("temperature", Field.HONOURED), java.util.Map.entry("top_p", Field.HONOURED),
            java.util.Map.entry("seed", Field.HONOURED),
            java.util.Map.entry("n", Field.ONE_VALUE), java.util.Map.entry("stop", Field.ONE_VALUE),
            java.util.Map.entry("frequency_penalty", Field.ONE_VALUE), java.util.Map.entry("presence_penalty", Field.ONE_VALUE),
            java.util.Map.entry("logprobs", Field.ONE_VALUE), java.util.Map.entry("top_logprobs", Field.ONE_VALUE),
            java.util.Map.entry("response_format", Field.ONE_VALUE), java.util.Map.entry("modalities", Field.ONE_VALUE),
            java.util.Map.entry("store", Field.ONE_VALUE), java.util.Map.entry("service_tier", Field.ONE_VALUE),
            java.util.Map.entry("parallel_tool_calls", Field.ONE_VALUE),
            java.util.Map.entry("user", Field.LABEL), java.util.Map.entry("safety_identifier", Field.LABEL),
            java.util.Map.entry("prompt_cache_key", Field.LABEL), java.util.Map.entry("prompt_cache_retention", Field.LABEL),
            java.util.Map.entry("metadata", Field.LABEL),
            java.util.Map.entry("tools", Field.REFUSED), java.util.Map.entry("tool_choice", Field.REFUSED),
            java.util.Map.entry("functions", Field.REFUSED), java.util.Map.entry("function_call", Field.REFUSED),
            java.util.Map.entry("logit_bias", Field.REFUSED), java.util.Map.entry("audio", Field.REFUSED),
            java.util.Map.entry("prediction", Field.REFUSED), java.util.Map.entry("web_search_options", Field.REFUSED),
            java.util.Map.entry("reasoning_effort", Field.REFUSED), java.util.Map.entry("verbosity", Field.REFUSED),
            java.util.Map.entry("tokenization", Field.GLIMPSE), java.util.Map.entry("pruning", Field.GLIMPSE),
            java.util.Map.entry("min_tokens", Field.GLIMPSE), java.util.Map.entry("core_neurons", Field.GLIMPSE));

    /** @param maxNewTokensCap the most new tokens a request may ask for (the runners' cap) */
    static ChatRequest parse(JsonNode body, ImageSources images, int maxNewTokensCap) {
        if (body == null || !body.isObject()) {
            throw HttpApiException.invalid(null, "the request body must be a JSON object");
        }
        for (java.util.Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String f = names.next();
            Field kind = FIELDS.get(f);
            if (kind == null) {
                throw HttpApiException.invalid(f, "'" + f + "' is not a Chat Completions field Glimpse knows; remove it"
                        + " (docs/api.md lists the fields)");
            }
            if (kind == Field.REFUSED && body.hasNonNull(f)) {
                throw HttpApiException.invalid(f, "'" + f + "' is not supported by Glimpse");
            }
        }
        oneValues(body);
        AskRequest.Builder ask = AskRequest.newBuilder();
        message(body, images, ask);
        ask.setGeneration(generation(body, maxNewTokensCap));
        ask.setPolicy(TokenPolicy.newBuilder()
                .setTokenization(proto(body, "tokenization", Tokenization.newBuilder()))
                .setPruning(proto(body, "pruning", Pruning.newBuilder())));
        String model = body.hasNonNull("model") ? text(body, "model") : null;
        boolean stream = bool(body, "stream");
        JsonNode options = body.path("stream_options");
        if (!options.isMissingNode() && !options.isNull()) {
            if (!options.isObject()) {
                throw HttpApiException.invalid("stream_options", "'stream_options' must be an object");
            }
            for (java.util.Iterator<String> o = options.fieldNames(); o.hasNext(); ) {
                String f = o.next();
                if (!f.equals("include_usage") && !f.equals("include_obfuscation")) {
                    throw HttpApiException.invalid("stream_options." + f, "'stream_options." + f + "' is not supported");
                }
            }
            if (bool(options, "include_obfuscation")) {
                throw HttpApiException.invalid("stream_options.include_obfuscation",
                        "stream_options.include_obfuscation is not supported (only false)");
            }
        }
        boolean usage = stream && options.isObject() && bool(options, "include_usage");
        return new ChatRequest(ask.build(), model, stream, usage);
    }

    /** The fields Glimpse honours at one value only: that value, or a refusal naming the field. */
    private static void oneValues(JsonNode body) {
        JsonNode format = body.get("response_format");
        if (format != null && !format.isNull() && !"text".equals(format.path("type").asText())) {
            throw HttpApiException.invalid("response_format", "response_format " + format.path("type").asText("?")
                    + " is not supported: Glimpse answers in plain text (only {\"type\": \"text\"})");
        }
        JsonNode modalities = body.get("modalities");
        if (modalities != null && !modalities.isNull()) {
            if (!modalities.isArray()) {
                throw HttpApiException.invalid("modalities", "'modalities' must be an array");
            }
            for (JsonNode m : modalities) {
                if (!"text".equals(m.asText())) {
                    throw HttpApiException.invalid("modalities", "modality '" + m.asText() + "' is not supported (only text)");
                }
            }
        }
        if (bool(body, "store")) {
            throw HttpApiException.invalid("store", "store is not supported: Glimpse keeps no completions (only false)");
        }
        JsonNode tier = body.get("service_tier");
        if (tier != null && !tier.isNull() && !List.of("auto", "default").contains(tier.asText())) {
            throw HttpApiException.invalid("service_tier", "service_tier '" + tier.asText() + "' is not offered (auto or default)");
        }
        if (body.hasNonNull("parallel_tool_calls")) {
            bool(body, "parallel_tool_calls");   // no tools, so nothing runs in parallel either way
        }
        if (body.hasNonNull("top_logprobs") && integer(body, "top_logprobs", 0) != 0) {
            throw HttpApiException.invalid("top_logprobs", "logprobs are not supported (top_logprobs only 0)");
        }
    }

    private static void message(JsonNode body, ImageSources images, AskRequest.Builder ask) {
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw HttpApiException.invalid("messages", "'messages' must be a non-empty array");
        }
        JsonNode user = null;
        int index = -1;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String role = m.path("role").asText("");
            switch (role) {
                case "system", "developer" -> { }
                case "user" -> {
                    if (user != null) {
                        throw HttpApiException.invalid("messages", "Glimpse answers one question about the images:"
                                + " send one user message (multi-turn conversations are not supported)");
                    }
                    user = m;
                    index = i;
                }
                case "assistant", "tool", "function" -> throw HttpApiException.invalid("messages[" + i + "].role",
                        "Glimpse answers one question about the images: '" + role
                                + "' messages (multi-turn conversations) are not supported");
                default -> throw HttpApiException.invalid("messages[" + i + "].role",
                        "role must be system, developer or user, got '" + role + "'");
            }
        }
        if (user == null) {
            throw HttpApiException.invalid("messages", "no user message: send one with the question and the images");
        }
        JsonNode content = user.get("content");
        List<String> text = new ArrayList<>();
        if (content != null && content.isTextual()) {
            text.add(content.asText());
        } else if (content != null && content.isArray()) {
            for (int p = 0; p < content.size(); p++) {
                JsonNode part = content.get(p);
                String param = "messages[" + index + "].content[" + p + "]";
                String type = part.path("type").asText("");
                switch (type) {
                    case "text" -> text.add(part.path("text").asText(""));
                    case "image_url" -> {
                        JsonNode u = part.path("image_url");
                        String url = u.isTextual() ? u.asText() : u.path("url").asText("");
                        if (url.isEmpty()) {
                            throw HttpApiException.invalid(param + ".image_url.url", "image_url.url is missing");
                        }
                        ask.addImages(Image.newBuilder().setData(ByteString.copyFrom(images.read(url, param + ".image_url")))
                                .setName("image " + (ask.getImagesCount() + 1)));
                    }
                    default -> throw HttpApiException.invalid(param + ".type",
                            "content part type must be text or image_url, got '" + type + "'");
                }
            }
        } else {
            throw HttpApiException.invalid("messages[" + index + "].content",
                    "the user message's content must be a string or an array of text and image_url parts");
        }
        ask.setQuestion(String.join(" ", text.stream().map(String::strip).filter(t -> !t.isEmpty()).toList()));
    }

    private static Generation generation(JsonNode body, int maxNewTokensCap) {
        Generation.Builder g = Generation.newBuilder();
        String maxField = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        if (body.hasNonNull(maxField)) {
            g.setMaxNewTokens(positive(body, maxField));
            if (g.getMaxNewTokens() > maxNewTokensCap) {
                throw HttpApiException.invalid(maxField, maxField + " " + g.getMaxNewTokens() + " is above this server's cap of "
                        + maxNewTokensCap + " (GET /v1/models lists its limits)");
            }
        }
        if (body.hasNonNull("min_tokens")) {
            g.setMinNewTokens(integer(body, "min_tokens", 0));
            if (g.getMinNewTokens() > maxNewTokensCap) {
                throw HttpApiException.invalid("min_tokens", "min_tokens " + g.getMinNewTokens() + " is above this server's cap of "
                        + maxNewTokensCap + " (GET /v1/models lists its limits)");
            }
        }
        if (body.hasNonNull("core_neurons")) {
            double c = number(body, "core_neurons");
            if (c < 0 || c > 1) {
                throw HttpApiException.invalid("core_neurons", "core_neurons must be in [0, 1] (0 = the dense FFN), got " + c);
            }
            g.setCoreNeurons((float) c);
        }
        if (body.hasNonNull("temperature")) {
            double t = number(body, "temperature");
            if (t < 0 || t > 2) {
                throw HttpApiException.invalid("temperature", "temperature must be in [0, 2], got " + t);
            }
            g.setTemperature((float) t);
        }
        if (body.hasNonNull("top_p")) {
            double p = number(body, "top_p");
            if (p <= 0 || p > 1) {
                throw HttpApiException.invalid("top_p", "top_p must be in (0, 1], got " + p);
            }
            g.setTopP((float) p);
        }
        if (body.hasNonNull("seed")) {
            JsonNode s = body.get("seed");
            if (!s.isIntegralNumber() || !s.canConvertToLong()) {
                throw HttpApiException.invalid("seed", "seed must be an integer");
            }
            g.setSeed(s.asLong());
        }
        if (body.hasNonNull("n") && integer(body, "n", 1) != 1) {
            throw HttpApiException.invalid("n", "n must be 1: Glimpse returns one choice per request");
        }
        JsonNode stop = body.get("stop");
        if (stop != null && !stop.isNull() && !(stop.isArray() && stop.isEmpty()) && !(stop.isTextual() && stop.asText().isEmpty())) {
            throw HttpApiException.invalid("stop", "stop sequences are not supported; use max_tokens");
        }
        for (String penalty : List.of("frequency_penalty", "presence_penalty")) {
            if (body.hasNonNull(penalty) && number(body, penalty) != 0) {
                throw HttpApiException.invalid(penalty, penalty + " is not supported (only 0)");
            }
        }
        if (bool(body, "logprobs")) {
            throw HttpApiException.invalid("logprobs", "logprobs are not supported");
        }
        return g.build();
    }

    /** A Glimpse policy message from its JSON form (field names as in the proto or in lowerCamelCase). */
    @SuppressWarnings("unchecked")
    private static <B extends Message.Builder> B proto(JsonNode body, String field, B builder) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return builder;
        }
        if (!n.isObject()) {
            throw HttpApiException.invalid(field, "'" + field + "' must be an object (see docs/api.md)");
        }
        try {
            JsonFormat.parser().merge(n.toString(), builder);
            return builder;
        } catch (InvalidProtocolBufferException e) {
            throw HttpApiException.invalid(field, "'" + field + "' is not a valid Glimpse " + field + ": " + e.getMessage()
                    + validNames(e.getMessage(), builder.getDescriptorForType()));
        }
    }

    /** For an unknown enum name, the names that are valid: "; valid: FULL, POOLED, ...". */
    private static String validNames(String problem, com.google.protobuf.Descriptors.Descriptor type) {
        String marker = "for enum type: ";
        int at = problem == null ? -1 : problem.indexOf(marker);
        if (at < 0) {
            return "";
        }
        String enumName = problem.substring(at + marker.length()).strip();
        com.google.protobuf.Descriptors.EnumDescriptor e = findEnum(type, enumName, new java.util.HashSet<>());
        if (e == null) {
            return "";
        }
        return "; valid values: " + String.join(", ", e.getValues().stream().map(com.google.protobuf.Descriptors.EnumValueDescriptor::getName)
                .filter(n -> !n.endsWith("_UNSPECIFIED")).toList());
    }

    private static com.google.protobuf.Descriptors.EnumDescriptor findEnum(com.google.protobuf.Descriptors.Descriptor type,
                                                                         String fullName, java.util.Set<String> seen) {
        if (!seen.add(type.getFullName())) {
            return null;
        }
        for (com.google.protobuf.Descriptors.FieldDescriptor f : type.getFields()) {
            if (f.getType() == com.google.protobuf.Descriptors.FieldDescriptor.Type.ENUM
                    && f.getEnumType().getFullName().equals(fullName)) {
                return f.getEnumType();
            }
            if (f.getType() == com.google.protobuf.Descriptors.FieldDescriptor.Type.MESSAGE) {
                com.google.protobuf.Descriptors.EnumDescriptor e = findEnum(f.getMessageType(), fullName, seen);
                if (e != null) {
                    return e;
                }
            }
        }
        return null;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (!v.isTextual()) {
            throw HttpApiException.invalid(field, "'" + field + "' must be a string");
        }
        return v.asText();
    }

    private static boolean bool(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw HttpApiException.invalid(field, "'" + field + "' must be true or false");
        }
        return v.asBoolean();
    }

    private static double number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw HttpApiException.invalid(field, "'" + field + "' must be a number");
        }
        return v.asDouble();
    }

    private static int integer(JsonNode n, String field, int min) {
        JsonNode v = n.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min) {
            throw HttpApiException.invalid(field, "'" + field + "' must be an integer >= " + min);
        }
        return v.asInt();
    }

    private static int positive(JsonNode n, String field) {
        return integer(n, field, 1);
    }
}
