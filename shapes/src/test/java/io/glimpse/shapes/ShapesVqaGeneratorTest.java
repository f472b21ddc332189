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

    /** glimpse eval's default distribution follows the bundle: v4's 192-px encoder was trained on DETAIL, the rest on CLASSIC. */
    @Test
    void aBundlesImageSizeNamesItsDistribution() {
        assertEquals(SceneSpec.DETAIL, SceneSpec.forImageSize(192));
        assertEquals(SceneSpec.CLASSIC, SceneSpec.forImageSize(96));
        assertEquals(SceneSpec.CLASSIC, SceneSpec.forImageSize(512), "other sizes: the classic scenes, resized by the preprocessor");
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

    /**
     * The detail distribution (576 patches): answers hold, objects run from one patch to half the
     * canvas side, scenes from one object to twenty, half of them cluttered, and small targets are asked
     * about: the question's own object is smaller than one cell of an 8 x 8 pooling in a good share.
     */
    @Test
    void detailScenesSpanSizesCountsAndBackgrounds() {
        ShapesVqaGenerator g = new ShapesVqaGenerator(17, SceneSpec.DETAIL);
        int cluttered = 0;
        int minSide = Integer.MAX_VALUE;
        int maxSide = 0;
        int most = 0;
        int fewest = Integer.MAX_VALUE;
        int smallSizeTargets = 0;
        int largeSizeTargets = 0;
        java.util.Map<SizeBucket, Integer> buckets = new java.util.EnumMap<>(SizeBucket.class);
        for (int i = 0; i < 1500; i++) {
            Sample s = g.next();
            var bucket = SizeBucket.of(s);
            boolean names = s.family() == QuestionFamily.COLOR || s.family() == QuestionFamily.SHAPE
                    || s.family() == QuestionFamily.WHERE || s.family() == QuestionFamily.SIZE || s.family() == QuestionFamily.CLOSEST
                    || s.family() == QuestionFamily.EXIST && s.answer().equals("yes");
            assertEquals(names, bucket.isPresent(), "a question naming one object has its bucket: " + s.question());
            bucket.ifPresent(b -> buckets.merge(b, 1, Integer::sum));
            assertEquals(192, s.scene().size());
            assertEquals(192 * 192 * 3, s.scene().rgb().length);
            assertEquals(expected(s), s.answer(), s.question());
            List<SceneObject> objs = s.scene().objects();
            for (int a = 0; a < objs.size(); a++) {
                SceneObject o = objs.get(a);
                assertTrue(o.x() >= 0 && o.y() >= 0 && o.x() + o.side() <= 192 && o.y() + o.side() <= 192);
                minSide = Math.min(minSide, o.side());
                maxSide = Math.max(maxSide, o.side());
                for (int b = a + 1; b < objs.size(); b++) {
                    assertTrue(o.separatedFrom(objs.get(b), 2));
                }
            }
            most = Math.max(most, objs.size());
            fewest = Math.min(fewest, objs.size());
            cluttered += s.scene().clutter().isEmpty() ? 0 : 1;
            if (s.family() == QuestionFamily.SIZE) {
                String[] w = s.question().replace(" ?", "").split(" ");
                SceneObject t = find(objs, w[4], w[5]);
                if (t.side() <= 20) {
                    smallSizeTargets++;
                } else {
                    assertTrue(t.side() >= 48, "a large target is clearly large: " + t.side());
                    largeSizeTargets++;
                }
            }
        }
        assertEquals(8, minSide, "down to one patch");
        assertTrue(maxSide >= 90, "up to about half the side: " + maxSide);
        assertEquals(1, fewest);
        assertEquals(20, most);
        assertTrue(cluttered > 600 && cluttered < 900, "about half cluttered: " + cluttered);
        assertTrue(smallSizeTargets > 50 && largeSizeTargets > 50, smallSizeTargets + " / " + largeSizeTargets);
        // questions about objects smaller than one cell of an 8 x 8 pooling are a good share, as are the rest
        for (SizeBucket b : SizeBucket.values()) {
            assertTrue(buckets.getOrDefault(b, 0) > 120, buckets.toString());
        }
        // the classic distribution is unchanged by the parameterisation: the same seed gives the same bytes
        assertTrue(java.util.Arrays.equals(new ShapesVqaGenerator(5).next().scene().rgb(),
                new ShapesVqaGenerator(5, SceneSpec.CLASSIC).next().scene().rgb()));
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
                double third = s.scene().size() / 3.0;
                int col = (int) Math.min(2, Math.floor((o.x() + o.side() / 2.0) / third));
                int row = (int) Math.min(2, Math.floor((o.y() + o.side() / 2.0) / third));
                return regions[row * 3 + col];
            }
            case CLOSEST -> {
                SceneObject t = find(objs, w[8], w[9]);
                List<SceneObject> others = new ArrayList<>(objs);
                others.remove(t);
                others.sort(java.util.Comparator.comparingDouble(o -> Math.hypot(o.centerX() - t.centerX(), o.centerY() - t.centerY())));
                if (others.size() > 1) {
                    double margin = s.scene().size() == 96 ? 3.0 : 6.0;
                    assertTrue(t.distanceTo(others.get(1)) - t.distanceTo(others.get(0)) >= margin, "unique nearest by the margin");
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
