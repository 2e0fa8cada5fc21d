// The evidence of one finding: its clip (or a moment's clip fetched from the timeline) in
// the player, the key frame beside it (with a clutter finding's clean reference, zoomed
// together: zoom.js), and the player's keys (play, seek, frame, speed).
import { $ } from "./dom.js";
import { zoomable } from "./zoom.js";

const RATES = [0.25, 0.5, 1, 1.5, 2, 4];
const FRAME_S = 0.2; // one frame of a 5 fps evidence clip
const SEEK_S = 2;

export function createPlayer(video) {
  let finding = null;
  let source = { kind: "clip" }; // what the video plays: the evidence clip or a moment's clip

  // 16:9 clips in 16:9 boxes: each box takes its picture's own aspect (--aspect: for
  // review.css to keep it when the box's height is capped; the zoom box of a still too)
  const fit = (node, width, height) => {
    if (!width) return;
    node.style.aspectRatio = `${width} / ${height}`;
    node.style.setProperty("--aspect", String(width / height));
  };
  video.addEventListener("loadedmetadata", () => fit(video, video.videoWidth, video.videoHeight));
  for (const id of ["keyframe", "reference"]) {
    $(id).addEventListener("load", (event) => {
      const img = event.target;
      fit(img, img.naturalWidth, img.naturalHeight);
      fit(img.parentElement, img.naturalWidth, img.naturalHeight);
    });
  }
  // a zone without a reference photo has none: the key frame stands alone
  $("reference").addEventListener("error", () => { $("reference-still").hidden = true; });
  // the key frame zooms, and the reference beside it follows to show the same place
  const stills = zoomable([$("keyframe-box"), $("reference-box")], (scale) => {
    $("zoom-level").textContent = scale > 1 ? `${scale.toFixed(1)}×` : "";
  });
  // Whether the clip is still on its way, or cannot play: a slow network is never a blank box.
  const clipState = (text, kind = "saving") => {
    $("clip-state").hidden = !text;
    $("clip-state").textContent = text;
    $("clip-state").className = kind;
  };
  video.addEventListener("loadstart", () => { if (video.getAttribute("src")) clipState("载入中… Loading the clip…"); });
  video.addEventListener("waiting", () => clipState("缓冲中… Buffering…"));
  for (const ready of ["canplay", "playing", "emptied"]) video.addEventListener(ready, () => clipState(""));
  video.addEventListener("error", () => { if (video.getAttribute("src")) clipState("片段无法播放 The clip cannot play", "message conflict"); });
  video.addEventListener("ratechange", () => { $("clip-rate").textContent = `${video.playbackRate}×`; });

  function seekVideo(seconds) {
    if (video.readyState >= 1) { video.currentTime = seconds; return; }
    video.addEventListener("loadedmetadata", () => { video.currentTime = seconds; }, { once: true });
  }

  // The finding's own evidence clip, from `seconds` in when given.
  function playClip(seconds) {
    source = { kind: "clip" };
    $("clip-caption").textContent = "证据片段 Evidence clip";
    $("back-to-clip").hidden = true;
    if (!finding.clip_url) { video.removeAttribute("src"); video.hidden = true; return; }
    video.hidden = false;
    if (!video.src.endsWith(finding.clip_url)) video.src = finding.clip_url;
    if (seconds !== undefined) seekVideo(seconds);
  }

  // A moment's clip (api/routes/findings.py `/clip?at=`): `fromMs` is its first frame's time.
  function playMoment(url, fromMs, caption) {
    source = { kind: "moment", from: fromMs };
    video.src = url;
    $("clip-caption").textContent = caption;
    $("back-to-clip").hidden = false;
  }
  $("back-to-clip").addEventListener("click", () => playClip(0));

  function show(detail) {
    finding = detail;
    if (!detail) { video.removeAttribute("src"); return; }
    playClip();
    stills.reset();
    $("keyframe").src = detail.keyframe_url || "";
    $("keyframe").hidden = !detail.keyframe_url;
    $("reference-still").hidden = !detail.reference_url;
    if (detail.reference_url) $("reference").src = detail.reference_url;
    else $("reference").removeAttribute("src");
    const missing = !detail.clip_url || !detail.keyframe_url;
    $("no-evidence").hidden = !missing;
    $("no-evidence").textContent = missing
      ? `无证据 No evidence: ${detail.evidence_note || "尚未生成 not made yet"}` : "";
  }

  function seek(seconds) { video.currentTime = Math.max(0, Math.min(video.duration || 0, video.currentTime + seconds)); }

  return {
    video,
    show,
    playClip,
    playMoment,
    get source() { return source; },
    togglePlay() { if (video.paused) video.play(); else video.pause(); },
    back() { seek(-SEEK_S); },
    forward() { seek(SEEK_S); },
    step(frames) { video.pause(); seek(frames * FRAME_S); },
    rate(delta) {
      const at = RATES.indexOf(video.playbackRate);
      video.playbackRate = RATES[Math.max(0, Math.min(RATES.length - 1, (at < 0 ? 2 : at) + delta))];
    },
  };
}
