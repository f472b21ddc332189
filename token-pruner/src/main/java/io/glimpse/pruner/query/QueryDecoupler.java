package io.glimpse.pruner.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.common.error.GlimpseException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * QuoTA's query decoupling for bundles that declare their entity vocabulary
 * ({@code config.json: query_decoupling}): the entities the question names (slot words, plurals
 * through aliases) and the yes/no relevance prompt the model itself answers about them. The paper
 * asks a general LM to list the entities (chain of thought); a bundle without this section can
 * still use QuoTA with the attention or similarity scorer.
 */
public final class QueryDecoupler {
    /** A relevance question and how to read its first answer token. */
    public record RelevancePrompt(String prompt, String yes, String no) {
    }

    private final Map<String, String> wordToSlot = new HashMap<>();
    private final Map<String, String> aliases = new HashMap<>();
    private final List<JsonNode> prompts = new ArrayList<>();

    private QueryDecoupler() {
    }

    public static Optional<QueryDecoupler> of(BundleConfig config) {
        JsonNode q = config.raw().path("query_decoupling");
        if (q.isMissingNode()) {
            return Optional.empty();
        }
        QueryDecoupler d = new QueryDecoupler();
        q.path("slots").fields().forEachRemaining(e -> e.getValue().forEach(w -> d.wordToSlot.put(w.asText(), e.getKey())));
        q.path("aliases").fields().forEachRemaining(e -> d.aliases.put(e.getKey(), e.getValue().asText()));
        q.path("relevance_prompts").forEach(d.prompts::add);
        if (d.wordToSlot.isEmpty() || d.prompts.isEmpty()) {
            throw GlimpseException.precondition("config.json query_decoupling needs slots and relevance_prompts");
        }
        return Optional.of(d);
    }

    /** Slot -> the first word of that slot the question names, in question order. */
    public Map<String, String> entities(String question) {
        Map<String, String> found = new LinkedHashMap<>();
        for (String raw : question.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
            String w = aliases.getOrDefault(raw, raw);
            String slot = wordToSlot.get(w);
            if (slot != null) {
                found.putIfAbsent(slot, w);
            }
        }
        return found;
    }

    /** The first relevance prompt whose slots the question fills, or empty when it names no entity. */
    public Optional<RelevancePrompt> relevancePrompt(String question) {
        Map<String, String> e = entities(question);
        for (JsonNode p : prompts) {
            boolean fits = true;
            for (JsonNode slot : p.path("slots")) {
                fits &= e.containsKey(slot.asText());
            }
            if (fits) {
                String text = p.path("prompt").asText();
                for (Map.Entry<String, String> x : e.entrySet()) {
                    text = text.replace("{" + x.getKey() + "}", x.getValue());
                }
                return Optional.of(new RelevancePrompt(text, p.path("yes").asText(null), p.path("no").asText(null)));
            }
        }
        return Optional.empty();
    }
}
