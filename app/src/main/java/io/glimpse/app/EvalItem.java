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
 * @param scene  what the generator drew, for reports that group by it; null for samples read from files
 */
record EvalItem(List<byte[]> images, String question, String answer, String family, String bucket, SceneFacts scene) {
    EvalItem(List<byte[]> images, String question, String answer, String family) {
        this(images, question, answer, family, "", null);
    }

    /**
     * @param objects how many objects the scene holds
     * @param noisy   whether its background carries pixel noise
     * @param twin    the index shared by a scene and its noise twin (the same scene with the noise toggled), or -1
     */
    record SceneFacts(int objects, boolean noisy, int twin) {
        /** The busyness bucket ADAPTIVE's token counts are reported by: "1-5", "6-12" or "13-20" objects. */
        String objectsBucket() {
            return objects <= 5 ? "1-5" : objects <= 12 ? "6-12" : "13-20";
        }
    }

    AskRequest.Builder ask() {
        AskRequest.Builder b = AskRequest.newBuilder().setQuestion(question);
        images.forEach(i -> b.addImages(Image.newBuilder().setData(ByteString.copyFrom(i))));
        return b;
    }
}
