package io.glimpse.model.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.glimpse.common.error.GlimpseException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SufficiencySelectionTest {
    private static JsonNode json(String s) throws Exception {
        return new ObjectMapper().readTree(s);
    }

    @Test
    void measuredRowsAreExactAndTargetsBetweenInterpolate() throws Exception {
        SufficiencySelection s = SufficiencySelection.parse(json(
                "[{\"target\":0.5,\"threshold\":0.6},{\"target\":0.9,\"threshold\":0.98},{\"target\":1.0,\"threshold\":1.0}]"));
        assertEquals(0.98f, s.threshold(0.9f), 0f);
        assertEquals(0.79f, s.threshold(0.7f), 1e-6f);
        assertEquals(0.99f, s.threshold(0.95f), 1e-6f);
        assertEquals(0.3f, s.threshold(0.25f), 1e-6f, "below the first row the line runs from (0, 0)");
        assertEquals(1.0f, s.threshold(1.0f), 0f);
    }

    @Test
    void withoutATableTheThresholdIsTheTarget() throws Exception {
        SufficiencySelection s = SufficiencySelection.parse(json("{}").path("selection"));
        assertEquals(0.95f, s.threshold(0.95f), 0f);
    }

    @Test
    void aTableThatFallsOrLeavesTheUnitIntervalIsRefused() throws Exception {
        for (String bad : new String[]{
                "[{\"target\":0.9,\"threshold\":0.95},{\"target\":0.8,\"threshold\":0.97}]",
                "[{\"target\":0.8,\"threshold\":0.97},{\"target\":0.9,\"threshold\":0.95}]",
                "[{\"target\":0.8,\"threshold\":1.5}]",
                "[{\"target\":0.8}]",
                "{\"target\":0.8,\"threshold\":0.9}"}) {
            GlimpseException e = assertThrows(GlimpseException.class, () -> SufficiencySelection.parse(json(bad)), bad);
            assertEquals(GlimpseException.Kind.FAILED_PRECONDITION, e.kind());
            assertTrue(e.getMessage().contains("sufficiency.selection"), e.getMessage());
        }
    }
}
