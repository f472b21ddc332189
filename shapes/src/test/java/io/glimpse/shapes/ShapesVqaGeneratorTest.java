package io.glimpse.shapes;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShapesVqaGeneratorTest {
    static final List<Sample> SAMPLES = new ArrayList<>();

    static {
        ShapesVqaGenerator g = new ShapesVqaGenerator(11);
        for (int i = 0; i < 3000; i++) {
            SAMPLES.add(g.next());
        }
    }

    @Test
    void sameSeedSameSamples() {
        ShapesVqaGenerator a = new ShapesVqaGenerator(5);
        ShapesVqaGenerator b = new ShapesVqaGenerator(5);
        for (int i = 0; i < 50; i++) {
            Sample x = a.next();
            Sample y = b.next();
            assertEquals(x.question(), y.question());
            assertEquals(x.answer(), y.answer());
            assertArrayEquals(x.scene().rgb(), y.scene().rgb());
        }
        assertFalse(new ShapesVqaGenerator(6).next().question().equals(new ShapesVqaGenerator(5).next().question())
                && java.util.Arrays.equals(new ShapesVqaGenerator(6).next().scene().rgb(), new ShapesVqaGenerator(5).next().scene().rgb()));
    }

    @Test
    void scenesFollowThePlacementRules() {
        for (Sample s : SAMPLES) {
            List<SceneObject> objs = s.scene().objects();
            assertTrue(objs.size() >= 1 && objs.size() <= 6, "1..6 objects");
            Set<String> pairs = new HashSet<>();
            for (SceneObject o : objs) {
                assertTrue(pairs.add(o.color() + "/" + o.shape()), "no two objects share color and shape");
                int nominal = o.large() ? 22 : 12;
                assertTrue(Math.abs(o.side() - nominal) <= 2, "size within +-2 px");
                assertTrue(o.x() >= 0 && o.y() >= 0 && o.x() + o.side() <= 96 && o.y() + o.side() <= 96, "inside canvas");
                for (SceneObject p : objs) {
                    if (p != o) {
                        assertTrue(o.separatedFrom(p, 2), "boxes >= 2 px apart");
                    }
                }
            }
        }
    }

    /** Every answer recomputed from the objects by an independent reading of docs/design/model.md. */
    @Test
    void answersAreCorrect() {
        for (Sample s : SAMPLES) {
            assertEquals(expected(s), s.answer(), s.question());
        }
    }

    @Test
    void familiesAndAnswersAreBalanced() {
        Map<QuestionFamily, Integer> fam = new EnumMap<>(QuestionFamily.class);
        Map<String, Integer> yesNo = new HashMap<>();
        Map<String, Integer> sizes = new HashMap<>();
        for (Sample s : SAMPLES) {
            fam.merge(s.family(), 1, Integer::sum);
            if (s.family() == QuestionFamily.EXIST) {
                yesNo.merge(s.answer(), 1, Integer::sum);
            }
            if (s.family() == QuestionFamily.SIZE) {
                sizes.merge(s.answer(), 1, Integer::sum);
            }
        }
        for (QuestionFamily f : QuestionFamily.values()) {
            double share = fam.getOrDefault(f, 0) / (double) SAMPLES.size();
            assertTrue(share > 0.10 && share < 0.19, f + " share " + share);
        }
        double yes = yesNo.get("yes") / (double) (yesNo.get("yes") + yesNo.get("no"));
        assertTrue(yes > 0.42 && yes < 0.58, "yes share " + yes);
        double large = sizes.get("large") / (double) (sizes.get("large") + sizes.get("small"));
        assertTrue(large > 0.42 && large < 0.58, "large share " + large);
    }

    @Test
    void renderingPaintsExactPaletteAndShapes() {
        SceneObject square = new SceneObject(Shape.SQUARE, ShapeColor.BLUE, true, 10, 10, 22);
        SceneObject triangle = new SceneObject(Shape.TRIANGLE, ShapeColor.RED, true, 50, 10, 22);
        Scene sc = SceneRenderer.render(96, new int[]{240, 240, 240}, false, List.of(square, triangle),
                new java.util.SplittableRandom(1));
        assertPixel(sc, 10, 10, 40, 80, 220);     // square fills its corner
        assertPixel(sc, 61, 11, 220, 40, 40);     // triangle apex column near the top
        assertPixel(sc, 50, 11, 240, 240, 240);   // triangle's top-left corner is background
        assertPixel(sc, 50, 31, 220, 40, 40);     // base spans the full width
    }

    private static void assertPixel(Scene s, int x, int y, int r, int g, int b) {
        int i = (y * s.size() + x) * 3;
        assertEquals(r, s.rgb()[i] & 0xFF);
        assertEquals(g, s.rgb()[i + 1] & 0xFF);
        assertEquals(b, s.rgb()[i + 2] & 0xFF);
    }

    private static String expected(Sample s) {
        List<SceneObject> objs = s.scene().objects();
        String[] w = s.question().replace(" ?", "").split(" ");
        switch (s.family()) {
            case COLOR -> {
                List<SceneObject> m = objs.stream().filter(o -> o.shape().word().equals(w[4])).toList();
                assertEquals(1, m.size(), "exactly one object of that shape");
                return m.get(0).color().word();
            }
            case SHAPE -> {
                List<SceneObject> m = objs.stream().filter(o -> o.color().word().equals(w[4])).toList();
                assertEquals(1, m.size(), "exactly one object of that color");
                return m.get(0).shape().word();
            }
            case COUNT -> {
                long n = w[3].equals("objects")
                        ? objs.stream().filter(o -> o.color().word().equals(w[2])).count()
                        : objs.stream().filter(o -> o.shape().plural().equals(w[2])).count();
                return ShapesVqaGenerator.NUMBERS[(int) n];
            }
            case EXIST -> {
                return objs.stream().anyMatch(o -> o.color().word().equals(w[3]) && o.shape().word().equals(w[4])) ? "yes" : "no";
            }
            case WHERE, SIZE -> {
                // "where is the C S" vs "what size is the C S"
                SceneObject o = s.family() == QuestionFamily.WHERE ? find(objs, w[3], w[4]) : find(objs, w[4], w[5]);
                if (s.family() == QuestionFamily.SIZE) {
                    return o.large() ? "large" : "small";
                }
                String[] regions = {"top left", "top", "top right", "left", "center", "right", "bottom left", "bottom",
                        "bottom right"};
                int col = (int) Math.min(2, Math.floor((o.x() + o.side() / 2.0) / 32));
                int row = (int) Math.min(2, Math.floor((o.y() + o.side() / 2.0) / 32));
                return regions[row * 3 + col];
            }
            case CLOSEST -> {
                SceneObject t = find(objs, w[8], w[9]);
                List<SceneObject> others = new ArrayList<>(objs);
                others.remove(t);
                others.sort(java.util.Comparator.comparingDouble(o -> Math.hypot(o.centerX() - t.centerX(), o.centerY() - t.centerY())));
                if (others.size() > 1) {
                    assertTrue(t.distanceTo(others.get(1)) - t.distanceTo(others.get(0)) >= 3.0, "unique nearest by 3 px");
                }
                return others.get(0).color().word();
            }
            default -> throw new AssertionError();
        }
    }

    private static SceneObject find(List<SceneObject> objs, String color, String shape) {
        SceneObject o = objs.stream().filter(x -> x.color().word().equals(color) && x.shape().word().equals(shape))
                .findFirst().orElse(null);
        assertNotNull(o, color + " " + shape + " present");
        return o;
    }
}
