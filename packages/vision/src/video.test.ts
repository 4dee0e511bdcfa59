import { describe, expect, it } from "vitest";
import { parseProbe, scaledSize } from "./video";

const BANNER = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'clip.mp4':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 1205 kb/s
    Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1920x1080 [SAR 1:1 DAR 16:9], 1200 kb/s, 30 fps
    Stream #0:1(und): Audio: aac (LC), 44100 Hz, stereo, fltp, 128 kb/s`;

describe("parseProbe", () => {
  it("reads duration and size of the video stream", () => {
    expect(parseProbe(BANNER)).toEqual({ durationS: 62.5, width: 1920, height: 1080 });
  });
  it("swaps the sides of a rotated phone video", () => {
    expect(parseProbe(`${BANNER}\n      displaymatrix: rotation of -90.00 degrees`)).toMatchObject({ width: 1080, height: 1920 });
  });
  it("returns null without a video stream", () => {
    expect(parseProbe("Duration: 00:00:03.00\n Stream #0:0: Audio: mp3, 44100 Hz")).toBeNull();
  });
});

describe("scaledSize", () => {
  it("keeps the aspect ratio within the width limit, with even sides", () => {
    expect(scaledSize(1920, 1080, 640)).toEqual({ width: 640, height: 360 });
    expect(scaledSize(321, 241, 640)).toEqual({ width: 320, height: 240 });
  });
});
