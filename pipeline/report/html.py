"""The nightly report: one self-contained HTML page per run date, for the people who read
scores rather than clips (branch managers, the operations department).

Per branch: the scores, what the assessment policy makes of them, each zone's day as a
chart with findings and gaps, and the findings with their key frames. Everything is
inlined (SVG charts, JPEG key frames and the CJK font as data URIs), so the file can be
mailed and read on a phone or a machine without a Chinese font.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from pipeline.report.webfont import FONT_FACE_MARK, FONT_STACK, with_inline_font
from pipeline.store.readback import FailedUnit
from rules.checklist import Checklist
from rules.wording import duration_text, utc_text


@dataclass(frozen=True)
class ReportFinding:
    id: str
    item: str
    camera: str
    zone: str  # as readers see it: rules.wording.finding_zone
    start: datetime
    end: datetime
    confidence: float
    status: str
    keyframe: Path | None  # absolute, or None when no evidence was made


@dataclass(frozen=True)
class BranchSection:
    branch: str
    name: str
    region: str
    provisional: float
    final: float
    coverage: float
    chart_svg: str
    findings: list[ReportFinding]
    outcomes: dict[str, str] = field(default_factory=dict)  # policy name → outcome text
    failed_units: list[FailedUnit] = field(default_factory=list)
    #: coverage reached the checklist's minimum: the check counts for ranks and rewards
    complete: bool = True
    timezone: str = ""  # the branch's wall clock, which the findings' times are on


TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>网点视频稽核日报 Branch audit report {{ date }}</title>
<style>
{{ font_face }}
body{font-family:{{ font_stack }};
margin:2rem auto;max-width:1100px;color:#1f2937;line-height:1.45;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{margin-top:2.5rem;border-bottom:2px solid #0b4f8a}
.muted{color:#6b7280;font-size:.9rem}
.scores{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
.scroll{overflow-x:auto;max-width:100%}
.card{border:1px solid #d1d5db;border-radius:8px;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.6rem}.low{color:#b91c1c}
table{border-collapse:collapse;width:100%;font-size:.9rem}
td,th{border-bottom:1px solid #e5e7eb;padding:.35rem .5rem;text-align:left;vertical-align:top}
img.kf{width:220px;max-width:40vw;border-radius:4px}
.chart svg{width:100%;min-width:720px;height:auto}
.warn{background:#fff7ed;border:1px solid #fdba74;padding:.5rem 1rem;border-radius:6px}
</style></head><body>
<h1>网点视频稽核日报 · Branch audit report</h1>
<div class="muted">{{ date }} · 生成于 generated {{ generated }} · {{ sections|length }} 个网点 branch(es)</div>
{% for s in sections %}
<h2>{{ s.name }} <span class="muted">{{ s.branch }} · {{ s.region }}</span></h2>
<div class="scores">
 <div class="card">暂定得分 Provisional<b class="{{ 'low' if s.provisional < 85 else '' }}">{{ '%.1f' % s.provisional }}</b></div>
 <div class="card">最终得分 Final<b class="{{ 'low' if s.final < 85 else '' }}">{{ '%.1f' % s.final }}</b></div>
 <div class="card">覆盖率 Coverage<b class="{{ '' if s.complete else 'low' }}">{{ '%.0f' % (100 * s.coverage) }}%</b></div>
</div>
{% if not s.complete %}<p class="warn">检查不完整 Incomplete check: coverage below the checklist's
minimum. The check keeps its findings but counts for no period mean, rank, reward or
commendation until the footage is supplied.</p>{% endif %}
<div class="muted">Provisional counts findings awaiting review; final counts only what a supervisor
confirmed. Coverage is the share of business hours the cameras actually showed: time not seen is
unknown: never an absence, and never a perfect score either (long gaps are 录像缺失 findings).</div>
{% if s.outcomes %}<div class="scroll"><table><tr><th>考核 Policy</th><th>结果 Outcome (this day's score as a check round)</th></tr>
{% for policy, text in s.outcomes.items() %}<tr><td>{{ policy }}</td><td>{{ text }}</td></tr>{% endfor %}</table></div>{% endif %}
{% if s.failed_units %}<p class="warn">Not reviewed (counted as unknown time):
{% for u in s.failed_units %}<br>{{ u.unit }} — {{ u.reason }}{% endfor %}</p>{% endif %}
<div class="chart scroll">{{ s.chart_svg }}</div>
<h3>发现 Findings ({{ s.findings|length }})</h3>
{% if s.findings %}<div class="scroll"><table><tr><th>关键帧 Key frame</th><th>项目 Item</th><th>时间 Time ({{ s.timezone }})</th><th>摄像头 / 区域 Camera / zone</th><th>状态 Status</th></tr>
{% for f in s.findings %}<tr>
<td>{% if f.keyframe_uri %}<img class="kf" src="{{ f.keyframe_uri }}" alt="key frame">{% endif %}</td>
<td><b>{{ f.name_zh }}</b><br>{{ f.name_en }}<br><span class="muted">{{ f.item }}</span></td>
<td>{{ f.start }}–{{ f.end }} <span class="muted">{{ s.timezone }}</span><br><span class="muted">{{ f.duration }} · 置信度 confidence {{ f.confidence }}</span></td>
<td>{{ f.camera }} / {{ f.zone }}</td><td>{{ f.status }}</td></tr>{% endfor %}</table></div>
{% else %}<p>无发现 No findings.</p>{% endif %}
{% endfor %}
<p class="muted">待复核的发现由督导在复核页面确认或驳回；网点可在网点页面查看并申诉已确认的发现。
Supervisors confirm or dismiss pending findings on the review pages; a branch reads its findings and appeals confirmed ones on its branch page.</p>
</body></html>
"""


def _data_uri(path: Path | None) -> str:
    if path is None or not path.is_file():
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()


def render_report(date: str, sections: list[BranchSection], checklist: Checklist) -> str:
    env = Environment(autoescape=True, undefined=StrictUndefined)
    rows = [
        {
            "branch": s.branch, "name": s.name, "region": s.region,
            "provisional": s.provisional, "final": s.final, "coverage": s.coverage,
            # matplotlib escapes the labels it draws into the SVG
            "chart_svg": Markup(s.chart_svg), "outcomes": s.outcomes,
            "failed_units": s.failed_units, "complete": s.complete, "timezone": s.timezone,
            "findings": [
                {
                    "item": f.item, "name_zh": checklist.item(f.item).name_zh,
                    "name_en": checklist.item(f.item).name_en, "camera": f.camera,
                    "zone": f.zone, "status": f.status,
                    "start": f.start.strftime("%H:%M:%S"), "end": f.end.strftime("%H:%M:%S"),
                    "duration": duration_text((f.end - f.start).total_seconds()),
                    "confidence": f"{f.confidence:.0%}", "keyframe_uri": _data_uri(f.keyframe),
                }
                for f in s.findings
            ],
        }
        for s in sections
    ]  # fmt: skip
    return with_inline_font(env.from_string(TEMPLATE).render(
        date=date, sections=rows, generated=utc_text(datetime.now(UTC)),
        font_face=Markup(FONT_FACE_MARK), font_stack=Markup(FONT_STACK),
    ))  # fmt: skip
