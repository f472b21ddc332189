package io.glimpse.shapes;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShapesVideoGeneratorTest {
    static final List<Clip> CLIPS = new ArrayList<>();

    static {
        ShapesVideoGenerator g = new ShapesVideoGenerator(3, 4, 8);
        for (int i = 0; i < 800; i++) {
            CLIPS.add(g.next());
        }
    }

    @Test
    void sameSeedSameClips() {
        ShapesVideoGenerator a = new ShapesVideoGenerator(9, 4, 8);
        ShapesVideoGenerator b = new ShapesVideoGenerator(9, 4, 8);
        for (int i = 0; i < 30; i++) {
            Clip x = a.next();
            Clip y = b.next();
            assertEquals(x.question(), y.question());
            assertEquals(x.answer(), y.answer());
            assertEquals(x.frames().size(), y.frames().size());
            for (int f = 0; f < x.frames().size(); f++) {
                assertArrayEquals(x.frames().get(f).rgb(), y.frames().get(f).rgb());
            }
        }
        assertNotEquals(new ShapesVideoGenerator(10, 4, 8).next().question() + new ShapesVideoGenerator(10, 4, 8).next().answer(),
                new ShapesVideoGenerator(9, 4, 8).next().question() + "x");
    }

    @Test
    void everyAnswerFollowsFromTheTracks() {
        for (Clip c : CLIPS) {
            int frames = c.frames().size();
            assertTrue(frames >= 4 && frames <= 8, "frames " + frames);
            Track t = target(c);
            assertNotNull(t, c.question());
            switch (c.family()) {
                case FIRST -> assertEquals(ShapesVideoGenerator.FRAME_WORDS[t.first() + 1], c.answer());
                case FRAMES -> assertEquals(ShapesVideoGenerator.FRAME_WORDS[t.visibleFrames()], c.answer());
                case MOVE -> {
                    assertEquals(t.direction(), c.answer());
                    assertTrue(t.visibleFrames() >= 2, "a move needs two frames: " + c.question());
                }
                case LAST -> {
                    List<Track> onlyLast = c.tracks().stream().filter(x -> x.first() == frames - 1 && x.last() == frames - 1).toList();
                    assertEquals(1, onlyLast.size(), "exactly one object only in the last frame");
                    assertEquals(onlyLast.get(0).color().word(), c.answer());
                }
                case BRIEF -> throw new AssertionError("classic clips have no BRIEF family");
            }
        }
    }

    /**
     * Detail clips: the detail canvas and sizes, up to 16 frames, and the BRIEF family — the one object
     * of its shape, seen in one or two frames while every other object stays at least half the clip.
     */
    @Test
    void detailClipsAskAboutBriefObjects() {
        ShapesVideoGenerator g = new ShapesVideoGenerator(21, 8, 16, SceneSpec.DETAIL);
        int brief = 0;
        int longest = 0;
        for (int i = 0; i < 300; i++) {
            Clip c = g.next();
            int frames = c.frames().size();
            longest = Math.max(longest, frames);
            assertTrue(frames >= 8 && frames <= 16);
            assertEquals(192, c.frames().get(0).size());
            if (c.family() != VideoFamily.BRIEF) {
                continue;
            }
            brief++;
            String shape = c.question().replace("what color is the ", "").replace(" ?", "");
            List<Track> named = c.tracks().stream().filter(t -> t.shape().word().equals(shape)).toList();
            assertEquals(1, named.size(), "the only " + shape);
            Track t = named.get(0);
            assertEquals(t.color().word(), c.answer());
            assertTrue(t.visibleFrames() <= 2, "seen briefly");
            for (Track o : c.tracks()) {
                if (o != t) {
                    assertTrue(2 * o.visibleFrames() >= frames, "the others stay");
                }
            }
            for (int f = 0; f < frames; f++) {   // the clip draws the brief object in its frames only
                int frame = f;
                assertEquals(t.visibleIn(f), c.frames().get(f).objects().stream().anyMatch(o -> o.shape() == t.shape()
                        && o.color() == t.color()), "frame " + frame);
            }
        }
        assertTrue(brief > 30, "a fifth of the clips: " + brief);
        assertEquals(16, longest);
    }

    @Test
    void framesDrawWhatIsVisibleAndNothingElse() {
        for (Clip c : CLIPS.subList(0, 200)) {
            for (int f = 0; f < c.frames().size(); f++) {
                Scene frame = c.frames().get(f);
                Set<String> drawn = new HashSet<>();
                frame.objects().forEach(o -> drawn.add(o.color() + " " + o.shape()));
                for (Track t : c.tracks()) {
                    assertEquals(t.visibleIn(f), drawn.contains(t.color() + " " + t.shape()), c.question() + " frame " + f);
                    if (t.visibleIn(f)) {
                        SceneObject o = t.at(f);
                        assertTrue(o.x() >= 0 && o.y() >= 0 && o.x() + o.side() <= ShapesVqaGenerator.CANVAS
                                && o.y() + o.side() <= ShapesVqaGenerator.CANVAS, "inside the canvas");
                        // the box centre of a square/diamond/circle, or the base of a triangle, carries the colour
                        int px = o.x() + o.side() / 2;
                        int py = o.y() + (o.shape() == Shape.TRIANGLE ? o.side() - 2 : o.side() / 2);
                        int i = (py * ShapesVqaGenerator.CANVAS + px) * 3;
                        assertEquals(o.color().r(), frame.rgb()[i] & 0xff, "pixel of " + o);
                    }
                }
                List<SceneObject> objects = frame.objects();
                for (int a = 0; a < objects.size(); a++) {
                    for (int b = a + 1; b < objects.size(); b++) {
                        assertTrue(objects.get(a).separatedFrom(objects.get(b), ShapesVqaGenerator.MIN_GAP));
                    }
                }
            }
        }
    }

    @Test
    void familiesAndAnswersAreSpread() {
        Map<VideoFamily, Set<String>> answers = new EnumMap<>(VideoFamily.class);
        CLIPS.forEach(c -> answers.computeIfAbsent(c.family(), k -> new HashSet<>()).add(c.answer()));
        assertEquals(VideoFamily.CLASSIC.length, answers.size(), "classic clips keep v1-v3's four families");
        assertEquals(8, answers.get(VideoFamily.FIRST).size(), answers.toString());
        assertEquals(8, answers.get(VideoFamily.FRAMES).size(), answers.toString());
        assertEquals(Set.of("left", "right", "up", "down"), answers.get(VideoFamily.MOVE));
        assertTrue(answers.get(VideoFamily.LAST).size() >= 5, answers.toString());
    }

    @Test
    void frameCountsOutsideTwoToEightAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ShapesVideoGenerator(1, 1, 4));
        assertThrows(IllegalArgumentException.class, () -> new ShapesVideoGenerator(1, 4, 9));
        assertEquals(6, new ShapesVideoGenerator(1, 6, 6).next().frames().size());
    }

    private static Track target(Clip c) {
        if (c.family() == VideoFamily.LAST) {
            return c.tracks().get(0);
        }
        for (Track t : c.tracks()) {
            if (c.question().contains(" " + t.color().word() + " " + t.shape().word() + " ")) {
                return t;
            }
        }
        return null;
    }
}
