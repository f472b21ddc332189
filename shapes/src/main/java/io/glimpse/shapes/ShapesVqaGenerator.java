package io.glimpse.shapes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiPredicate;

/**
 * Seeded Shapes-VQA sample generator (docs/design/model.md). Each sample is built for its question: the family
 * is drawn uniformly, then the answer is drawn uniformly from what the family can answer, then a
 * scene is constructed so that the question is well-posed and has that answer. The same seed gives
 * the same samples on every machine. The scene distribution ({@link SceneSpec}) sets the canvas, the
 * objects' number and sizes and the backgrounds; the questions are the same for every distribution.
 */
public final class ShapesVqaGenerator {
    public static final int CANVAS = 96;
    public static final int SMALL = 12;
    public static final int LARGE = 22;
    public static final int SIZE_JITTER = 2;
    public static final int MIN_GAP = 2;
    public static final int MAX_OBJECTS = 6;
    public static final double NOISE_PROBABILITY = 0.3;
    public static final double CLOSEST_MARGIN = 3.0;
    public static final int[][] BACKGROUNDS = {{240, 240, 240}, {228, 226, 214}, {214, 226, 236}};
    public static final String[] NUMBERS = {"zero", "one", "two", "three", "four", "five", "six"};

    private static final Shape[] SHAPES = Shape.values();
    private static final ShapeColor[] COLORS = ShapeColor.values();

    private final SplittableRandom random;
    private final SceneSpec spec;

    public ShapesVqaGenerator(long seed) {
        this(seed, SceneSpec.CLASSIC);
    }

    public ShapesVqaGenerator(long seed, SceneSpec spec) {
        this.random = new SplittableRandom(seed);
        this.spec = spec;
    }

    public SceneSpec spec() {
        return spec;
    }

    /** The next sample of a uniformly drawn family. */
    public Sample next() {
        return next(QuestionFamily.values()[random.nextInt(QuestionFamily.values().length)]);
    }

    /** The next sample of the given family. */
    public Sample next(QuestionFamily family) {
        while (true) {
            Sample s = switch (family) {
                case COLOR -> color();
                case SHAPE -> shape();
                case COUNT -> count();
                case EXIST -> exist();
                case WHERE -> where();
                case SIZE -> size();
                case CLOSEST -> closest();
            };
            if (s != null) {
                return s;
            }
        }
    }

    private record Spec(Shape shape, ShapeColor color, Boolean large, Region region) {
        Spec(Shape shape, ShapeColor color) {
            this(shape, color, null, null);
        }
    }

    private Sample color() {
        ShapeColor answer = pick(COLORS);
        Shape shape = pick(SHAPES);
        List<Spec> specs = withOthers(new Spec(shape, answer), totalObjects(1),
                (s, c) -> s != shape);
        return build(specs, QuestionFamily.COLOR, "what color is the " + shape.word() + " ?", answer.word());
    }

    private Sample shape() {
        Shape answer = pick(SHAPES);
        ShapeColor color = pick(COLORS);
        List<Spec> specs = withOthers(new Spec(answer, color), totalObjects(1),
                (s, c) -> c != color);
        return build(specs, QuestionFamily.SHAPE, "what shape is the " + color.word() + " object ?", answer.word());
    }

    private Sample count() {
        List<Spec> specs = new ArrayList<>();
        String question;
        int k;
        if (random.nextBoolean()) {
            Shape shape = pick(SHAPES);
            k = random.nextInt(Math.min(COLORS.length, spec.maxObjects()) + 1);
            for (ShapeColor c : shuffled(COLORS).subList(0, k)) {
                specs.add(new Spec(shape, c));
            }
            addOthers(specs, totalObjects(Math.max(k, 1)), (s, c) -> s != shape);
            question = "how many " + shape.plural() + " are there ?";
        } else {
            ShapeColor color = pick(COLORS);
            k = random.nextInt(SHAPES.length + 1);
            for (Shape s : shuffled(SHAPES).subList(0, k)) {
                specs.add(new Spec(s, color));
            }
            addOthers(specs, totalObjects(Math.max(k, 1)), (s, c) -> c != color);
            question = "how many " + color.word() + " objects are there ?";
        }
        return build(specs, QuestionFamily.COUNT, question, NUMBERS[k]);
    }

    private Sample exist() {
        Shape shape = pick(SHAPES);
        ShapeColor color = pick(COLORS);
        boolean yes = random.nextBoolean();
        List<Spec> specs = new ArrayList<>();
        if (yes) {
            specs.add(new Spec(shape, color));
        }
        addOthers(specs, totalObjects(1), (s, c) -> s != shape || c != color);
        return build(specs, QuestionFamily.EXIST, "is there a " + color.word() + " " + shape.word() + " ?",
                yes ? "yes" : "no");
    }

    private Sample where() {
        Region answer = pick(Region.values());
        Shape shape = pick(SHAPES);
        ShapeColor color = pick(COLORS);
        List<Spec> specs = withOthers(new Spec(shape, color, null, answer), totalObjects(1), (s, c) -> true);
        return build(specs, QuestionFamily.WHERE, "where is the " + color.word() + " " + shape.word() + " ?",
                answer.words());
    }

    private Sample size() {
        boolean large = random.nextBoolean();
        Shape shape = pick(SHAPES);
        ShapeColor color = pick(COLORS);
        List<Spec> specs = withOthers(new Spec(shape, color, large, null), totalObjects(1), (s, c) -> true);
        return build(specs, QuestionFamily.SIZE, "what size is the " + color.word() + " " + shape.word() + " ?",
                large ? "large" : "small");
    }

    private Sample closest() {
        ShapeColor answer = pick(COLORS);
        List<Spec> specs = new ArrayList<>();
        specs.add(new Spec(pick(SHAPES), answer));
        addOthers(specs, totalObjects(2), (s, c) -> true);
        List<SceneObject> objects = place(specs);
        if (objects == null) {
            return null;
        }
        List<SceneObject> targets = new ArrayList<>();
        for (SceneObject t : objects) {
            SceneObject nearest = uniqueNearest(t, objects, spec.closestMargin());
            if (nearest != null && nearest.color() == answer) {
                targets.add(t);
            }
        }
        if (targets.isEmpty()) {
            return null;
        }
        SceneObject t = targets.get(random.nextInt(targets.size()));
        String q = "what color is the object closest to the " + t.color().word() + " " + t.shape().word() + " ?";
        return new Sample(render(objects), QuestionFamily.CLOSEST, q, answer.word());
    }

    /** The object nearest to {@code target} by centre distance, or null when not unique by v1-v3's margin. */
    public static SceneObject uniqueNearest(SceneObject target, List<SceneObject> objects) {
        return uniqueNearest(target, objects, CLOSEST_MARGIN);
    }

    /** The object nearest to {@code target} by centre distance, or null when not unique by {@code margin} pixels. */
    public static SceneObject uniqueNearest(SceneObject target, List<SceneObject> objects, double margin) {
        List<SceneObject> others = new ArrayList<>(objects);
        others.remove(target);
        if (others.isEmpty()) {
            return null;
        }
        others.sort(Comparator.comparingDouble(target::distanceTo));
        if (others.size() > 1
                && target.distanceTo(others.get(1)) - target.distanceTo(others.get(0)) < margin) {
            return null;
        }
        return others.get(0);
    }

    private int totalObjects(int atLeast) {
        return atLeast + random.nextInt(spec.maxObjects() - atLeast + 1);
    }

    private List<Spec> withOthers(Spec target, int total, BiPredicate<Shape, ShapeColor> allowed) {
        List<Spec> specs = new ArrayList<>();
        specs.add(target);
        addOthers(specs, total, allowed);
        return specs;
    }

    /** Adds random objects until {@code total}, never repeating a (shape, color) pair. */
    private void addOthers(List<Spec> specs, int total, BiPredicate<Shape, ShapeColor> allowed) {
        List<Spec> candidates = new ArrayList<>();
        for (Shape s : SHAPES) {
            for (ShapeColor c : COLORS) {
                boolean taken = specs.stream().anyMatch(p -> p.shape() == s && p.color() == c);
                if (!taken && allowed.test(s, c)) {
                    candidates.add(new Spec(s, c));
                }
            }
        }
        shuffle(candidates);
        for (int i = 0; specs.size() < total && i < candidates.size(); i++) {
            specs.add(candidates.get(i));
        }
    }

    private Sample build(List<Spec> specs, QuestionFamily family, String question, String answer) {
        List<SceneObject> objects = place(specs);
        return objects == null ? null : new Sample(render(objects), family, question, answer);
    }

    private Scene render(List<SceneObject> objects) {
        int[] bg = BACKGROUNDS[random.nextInt(BACKGROUNDS.length)];
        boolean noisy = random.nextDouble() < spec.noise();
        if (spec.clutter() > 0 && random.nextDouble() < spec.clutter()) {
            return SceneRenderer.render(spec.canvas(), bg, noisy,
                    SceneRenderer.clutter(spec.canvas(), bg, SceneSpec.CLUTTER_MIN
                            + random.nextInt(SceneSpec.CLUTTER_MAX - SceneSpec.CLUTTER_MIN + 1), random), objects, random);
        }
        return SceneRenderer.render(spec.canvas(), bg, noisy, objects, random);
    }

    /** Random non-overlapping layout, or null when this draw does not fit (the caller redraws). */
    private List<SceneObject> place(List<Spec> specs) {
        for (int attempt = 0; attempt < 30; attempt++) {
            List<SceneObject> placed = new ArrayList<>();
            for (Spec target : specs) {
                SceneObject o = placeOne(target, specs.size(), placed);
                if (o == null) {
                    break;
                }
                placed.add(o);
            }
            if (placed.size() == specs.size()) {
                List<SceneObject> order = new ArrayList<>(placed);
                shuffle(order);
                return order;
            }
        }
        return null;
    }

    private SceneObject placeOne(Spec target, int objects, List<SceneObject> placed) {
        int side = spec.side(target.large(), objects, random);
        boolean large = target.large() != null ? target.large() : spec.large(side);
        int canvas = spec.canvas();
        for (int tries = 0; tries < 200; tries++) {
            int x = random.nextInt(canvas - side + 1);
            int y = random.nextInt(canvas - side + 1);
            SceneObject o = new SceneObject(target.shape(), target.color(), large, x, y, side);
            if (target.region() != null && o.region(canvas) != target.region()) {
                continue;
            }
            if (placed.stream().allMatch(p -> p.separatedFrom(o, spec.minGap()))) {
                return o;
            }
        }
        return null;
    }

    private <T> T pick(T[] values) {
        return values[random.nextInt(values.length)];
    }

    private <T> List<T> shuffled(T[] values) {
        List<T> list = new ArrayList<>(List.of(values));
        shuffle(list);
        return list;
    }

    private <T> void shuffle(List<T> list) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
