package io.glimpse.app;

import com.google.protobuf.ByteString;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.Image;

import java.util.List;

/**
 * One evaluation sample: one image, or a clip's frames in order.
 *
 * @param bucket the size bucket of the object the question names ({@link io.glimpse.shapes.SizeBucket}),
 *               or "" when it names none (counting, absent objects, clips)
 */
record EvalItem(List<byte[]> images, String question, String answer, String family, String bucket) {
    EvalItem(List<byte[]> images, String question, String answer, String family) {
        this(images, question, answer, family, "");
    }

    AskRequest.Builder ask() {
        AskRequest.Builder b = AskRequest.newBuilder().setQuestion(question);
        images.forEach(i -> b.addImages(Image.newBuilder().setData(ByteString.copyFrom(i))));
        return b;
    }
}
