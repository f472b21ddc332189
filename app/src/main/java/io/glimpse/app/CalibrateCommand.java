package io.glimpse.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.Image;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.proto.v1.Tokenization;
import io.glimpse.shapes.Sample;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.ShapesVqaGenerator;
import io.glimpse.tokenizer.encode.ComplexityCalibration;
import io.glimpse.tokenizer.image.ImageDecoder;
import io.glimpse.tokenizer.image.ImageLimits;
import io.glimpse.tokenizer.image.EdgeComplexity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/**
 * {@code glimpse bundle calibrate}: fits the complexity proxy's calibration table on training
 * images. For each Shapes-VQA sample (default seed 1, the training seed) it computes the proxy and
 * asks the question with every candidate token count and with all tokens; the table records, per
 * complexity bin, how often each count gives the full-token answer. Written in Java, not in
 * tools/, so the proxy is computed by the very OpenCV code that serves it.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Fit the complexity-proxy calibration table (ADAPTIVE without a sufficiency head) on training images.")
final class CalibrateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--count", defaultValue = "600", description = "Samples (default 600).")
    int count;

    @Option(names = "--seed", defaultValue = "1", description = "Generator seed (default 1: the training data's).")
    long seed;

    @Option(names = "--bins", defaultValue = "5", description = "Complexity bins (quantiles, default 5).")
    int bins;

    @Option(names = "--tokens", defaultValue = "registers",
            description = "Counts to calibrate: registers (FlexTok prefixes) or pooled (n x n cells).")
    String tokens;

    @Option(names = "--write", description = "Write the table into the bundle's config.json (else print it).")
    boolean write;

    @Override
    public Integer call() throws Exception {
        if (!tokens.equals("pooled") && !tokens.equals("registers")) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--tokens must be registers or pooled");
        }
        ModelBundle bundle = model.openBundle();
        int[] counts = tokens.equals("pooled")
                ? Arrays.stream(bundle.config().pooledSides()).map(s -> s * s).toArray()
                : bundle.config().prefixLengths().length > 0 ? bundle.config().prefixLengths()
                : IntStream.iterate(1, k -> k <= bundle.config().registers(), k -> k * 2).toArray();
        // the scenes the bundle was trained on: its image size names the distribution
        ShapesVqaGenerator gen = new ShapesVqaGenerator(seed, io.glimpse.shapes.SceneSpec.forImageSize(bundle.config().imageSize()));
        ImageDecoder decoder = new ImageDecoder(ImageLimits.defaults());
        double[] complexity = new double[count];
        boolean[][] agree = new boolean[count][counts.length];
        try (EmbeddedStack stack = EmbeddedStack.start(bundle, model.sessions(), EmbeddedStack.Transport.IN_PROCESS)) {
            for (int i = 0; i < count; i++) {
                Sample s = gen.next();
                byte[] png = ScenePng.encode(s.scene());
                complexity[i] = EdgeComplexity.edgeDensity(decoder.decode(png, "sample"), bundle.preprocessor().width());
                AskRequest.Builder ask = AskRequest.newBuilder().setQuestion(s.question())
                        .addImages(Image.newBuilder().setData(ByteString.copyFrom(png)));
                String full = stack.blocking().ask(ask.build()).getAnswer();
                for (int c = 0; c < counts.length; c++) {
                    Tokenization.Mode mode = tokens.equals("pooled") ? Tokenization.Mode.POOLED : Tokenization.Mode.FLEX_PREFIX;
                    String a = stack.blocking().ask(ask.setPolicy(TokenPolicy.newBuilder().setTokenization(
                            Tokenization.newBuilder().setMode(mode).setTokens(counts[c]))).build()).getAnswer();
                    agree[i][c] = a.equals(full);
                }
                if ((i + 1) % 100 == 0) {
                    System.err.println("calibrate: " + (i + 1) + " of " + count);
                }
            }
        }
        ObjectNode table = ComplexityCalibration.fit(tokens, counts, complexity, agree, bins).toJson();
        ObjectMapper json = new ObjectMapper();
        // the same "key": value layout as the Python export writes
        var printer = new com.fasterxml.jackson.core.util.DefaultPrettyPrinter().withSeparators(
                com.fasterxml.jackson.core.util.Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(com.fasterxml.jackson.core.util.Separators.Spacing.AFTER));
        System.out.println(json.writer(printer).writeValueAsString(table));
        if (write) {
            Path cfg = bundle.dir().resolve(ModelBundle.CONFIG);
            ObjectNode root = (ObjectNode) json.readTree(cfg.toFile());
            root.set("complexity_calibration", table);
            Files.writeString(cfg, json.writer(printer).writeValueAsString(root) + "\n");
            System.err.println("calibrate: wrote complexity_calibration into " + cfg);
        }
        return 0;
    }
}
