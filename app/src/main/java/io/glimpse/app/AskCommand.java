package io.glimpse.app;

import com.google.protobuf.ByteString;
import io.glimpse.proto.v1.AskEvent;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.Image;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code glimpse ask}: one question about one or more images. */
@Command(name = "ask", mixinStandardHelpOptions = true,
        description = "Ask a question about images, against --target or an embedded chain.")
final class AskCommand implements Callable<Integer> {
    @Option(names = {"-i", "--image"}, required = true, description = "Image file (repeatable).")
    List<Path> images;

    @Option(names = {"-q", "--question"}, required = true)
    String question;

    @Mixin
    RemoteOptions remote;

    @Option(names = "--stream", description = "Print text as it is generated.")
    boolean stream;

    @Option(names = "--explain", description = "Write the image with each token's importance as a heat map and the"
            + " tokens the model saw outlined, as a PNG (several images: FILE-1.png, FILE-2.png, ...).")
    Path explain;

    @Mixin
    ModelOptions model;

    @Mixin
    PolicyOptions policy;

    @Override
    public Integer call() throws Exception {
        AskRequest.Builder req = AskRequest.newBuilder().setQuestion(question)
                .setPolicy(policy.policy()).setGeneration(policy.generation());
        for (Path p : images) {
            req.addImages(Image.newBuilder().setName(p.getFileName().toString())
                    .setData(ByteString.copyFrom(Files.readAllBytes(p))));
        }
        try (GlimpseConnection c = GlimpseConnection.open(remote, model, EmbeddedStack.Transport.IN_PROCESS)) {
            AskResponse r;
            if (stream) {
                Iterator<AskEvent> events = c.blocking().askStream(req.build());
                r = null;
                while (events.hasNext()) {
                    AskEvent e = events.next();
                    if (e.hasDelta()) {
                        System.out.print(e.getDelta());
                        System.out.flush();
                    } else {
                        r = e.getDone();
                    }
                }
                System.out.println();
            } else {
                r = c.blocking().ask(req.build());
                System.out.println(r.getAnswer());
            }
            if (explain != null) {
                for (int i = 0; i < r.getSelectionsCount(); i++) {
                    Path out = r.getSelectionsCount() == 1 ? explain : explain.resolveSibling(
                            explain.getFileName().toString().replaceFirst("(\\.png)?$", "-" + (i + 1) + ".png"));
                    javax.imageio.ImageIO.write(ExplainOverlay.render(req.getImages(i).getData().toByteArray(),
                            r.getSelections(i), 384), "png", out.toFile());
                    System.err.println("glimpse: wrote " + out);
                }
            }
            var u = r.getUsage();
            System.err.printf("visual tokens %d -> %d -> %d, prompt %d, generated %d, prefill GFLOPs %.4f (full %.4f),"
                            + " encoder GFLOPs %.4f (full %.4f), %.1f ms%n",
                    u.getVisualTokensFull(), u.getVisualTokensTokenized(), u.getVisualTokensUsed(), u.getPromptTokens(),
                    u.getGeneratedTokens(), u.getPrefillFlopsUsed() / 1e9, u.getPrefillFlopsFull() / 1e9,
                    u.getEncoderFlopsUsed() / 1e9, u.getEncoderFlopsFull() / 1e9,
                    r.getTimings().getTotalMicros() / 1000.0);
        }
        return 0;
    }
}
