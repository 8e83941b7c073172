"""The built-in Japanese → English vocabulary of sound-design words.

Keys are matched longest first on the raw query, so a compound (``重低音``) wins over its parts
and an adjective stem (``暖か``) covers its endings (``暖かい``, ``暖かな``, ``暖かく``: the ending
is skipped as a particle). A value of ``""`` marks a grammar word that carries no sound meaning.
Users add or override words in ``$TIMBRE_HOME/translations.toml`` (see ``timbre.translation``).
"""

from __future__ import annotations

#: Single characters skipped between words: particles, adjective endings, punctuation.
SKIPPED = set("のなにでとはがをもやへよねくさめいってだす、。，．・！？!?　 「」『』（）()〜~")

TIMBRE_ADJECTIVES = {
    "暖か": "warm", "温か": "warm", "あたたか": "warm", "温かみ": "warm", "暖かみ": "warm",
    "明る": "bright", "あかる": "bright", "明るめ": "bright",
    "暗": "dark", "くら": "dark", "暗め": "dark",
    "太": "thick", "ふと": "thick", "細": "thin", "ほそ": "thin",
    "柔らか": "soft", "やわらか": "soft", "柔ら": "soft",
    "硬": "hard", "固": "hard", "かた": "hard",
    "金属的": "metallic", "金属": "metallic", "金属質": "metallic",
    "重": "heavy", "おも": "heavy", "軽": "light", "かる": "light",
    "鋭": "sharp", "するど": "sharp", "優し": "gentle", "やさし": "gentle",
    "厚": "thick", "厚み": "thick", "薄": "thin", "うす": "thin",
    "広": "wide", "広がり": "wide", "狭": "narrow", "深": "deep", "浅": "shallow",
    "丸": "round", "まる": "round", "透明感": "airy", "透明": "clear", "澄んだ": "clear",
    "綺麗": "clean", "きれい": "clean", "美し": "beautiful", "激し": "aggressive", "攻撃的": "aggressive",
    "荒": "rough", "粗": "rough", "ざらざら": "gritty", "濁った": "muddy", "滑らか": "smooth",
    "なめらか": "smooth", "きらびやか": "sparkly", "煌びやか": "sparkly", "キラキラ": "sparkly",
    "きらきら": "sparkly", "ふわふわ": "airy", "壮大": "epic", "幻想的": "dreamy", "神秘的": "mysterious",
    "不気味": "eerie", "怖": "scary", "悲し": "sad", "楽し": "happy", "切な": "melancholic",
    "高": "high", "低": "low", "長": "long", "短": "short", "速": "fast", "遅": "slow",
    "大き": "big", "小さ": "small", "空間的": "spacious", "揺れ": "wobbly", "うねる": "wobbly",
    "うねり": "wobbly", "伸び": "sustained", "歪んだ": "distorted", "冷た": "cold", "冷たい": "cold",
    "乾いた": "dry", "湿った": "wet", "電子的": "electronic", "有機的": "organic", "機械的": "mechanical",
    "懐かし": "nostalgic", "強": "strong", "弱": "weak", "未来的": "futuristic", "派手": "flashy", "地味": "subtle", "リッチ": "rich",
    "ダーク": "dark", "ブライト": "bright", "ウォーム": "warm", "ソフト": "soft", "ハード": "hard",
    "メタリック": "metallic", "クリーン": "clean", "ダーティ": "dirty", "ダーティー": "dirty", "ファット": "fat",
    "シャープ": "sharp", "エアリー": "airy", "ゴージャス": "lush", "ワイド": "wide", "ディープ": "deep",
    "ヘビー": "heavy", "ヘヴィ": "heavy", "ヘヴィー": "heavy", "アグレッシブ": "aggressive",
    "ドリーミー": "dreamy", "アンビエント": "ambient", "シネマティック": "cinematic", "レトロ": "retro",
    "ローファイ": "lo-fi", "ハイファイ": "hi-fi", "アナログ": "analog", "デジタル": "digital",
    "ヴィンテージ": "vintage", "ビンテージ": "vintage", "グリッチ": "glitch", "モダン": "modern",
    "エモーショナル": "emotional", "ダビー": "dubby", "ファンキー": "funky", "スペーシー": "spacey",
}

INSTRUMENTS = {
    "パッド": "pad", "リード": "lead", "ベース": "bass", "サブベース": "sub bass", "ベースライン": "bassline",
    "ストリングス": "strings", "ストリング": "strings", "ベル": "bell", "ブラス": "brass", "プラック": "pluck",
    "プラッキー": "plucky", "キー": "keys", "キーズ": "keys", "キーボード": "keys", "鍵盤": "keys",
    "ピアノ": "piano", "エレピ": "electric piano", "オルガン": "organ", "シンセ": "synth",
    "シンセサイザー": "synth", "アルペジオ": "arpeggio", "アルペジエーター": "arp", "アルペ": "arp",
    "アルプ": "arp", "エフェクト": "fx", "効果音": "fx", "ドローン": "drone", "ノイズ": "noise",
    "スーパーソウ": "supersaw", "ソウ": "saw", "ノコギリ波": "saw wave", "のこぎり波": "saw wave",
    "鋸波": "saw wave", "矩形波": "square wave", "サイン波": "sine wave", "正弦波": "sine wave",
    "三角波": "triangle wave", "パルス": "pulse", "ウォブル": "wobble", "ワブル": "wobble", "グロウル": "growl",
    "チップチューン": "chiptune", "ボーカル": "vocal", "ボイス": "voice", "声": "voice", "クワイア": "choir",
    "合唱": "choir", "ボコーダー": "vocoder", "ギター": "guitar", "フルート": "flute", "笛": "flute",
    "バイオリン": "violin", "ヴァイオリン": "violin", "チェロ": "cello", "ホルン": "horn", "トランペット": "trumpet",
    "弦": "strings", "弦楽器": "strings", "金管": "brass", "金管楽器": "brass", "木管": "woodwind",
    "木管楽器": "woodwind", "鐘": "bell", "鈴": "bell", "打楽器": "percussion", "パーカッション": "percussion",
    "ドラム": "drum", "太鼓": "drum", "キック": "kick", "スネア": "snare", "ハイハット": "hi-hat",
    "ライザー": "riser", "インパクト": "impact", "スイープ": "sweep", "スウィープ": "sweep", "ヒット": "hit",
    "スタブ": "stab", "コード": "chord", "和音": "chord", "メロディ": "melody", "メロディー": "melody",
    "旋律": "melody", "ループ": "loop", "ワンショット": "one-shot", "シーケンス": "sequence", "低音": "bass",
    "重低音": "sub bass", "高音": "high", "電子音": "electronic", "電子": "electronic", "環境音": "ambient",
    "雰囲気": "atmosphere", "アトモス": "atmosphere", "テクスチャ": "texture", "テクスチャー": "texture",
    "マレット": "mallet", "マリンバ": "marimba", "シタール": "sitar", "ハープ": "harp", "琴": "koto",
    "三味線": "shamisen", "尺八": "shakuhachi",
}

EFFECTS_AND_SHAPING = {
    "リバーブ": "reverb", "残響": "reverb", "ディレイ": "delay", "エコー": "echo", "反響": "echo",
    "ディストーション": "distortion", "歪み": "distortion", "歪": "distortion", "オーバードライブ": "overdrive",
    "サチュレーション": "saturation", "フェイザー": "phaser", "フランジャー": "flanger", "コーラス": "chorus",
    "コンプレッサー": "compressor", "フィルター": "filter", "フィルタ": "filter", "ローパス": "lowpass",
    "ハイパス": "highpass", "レゾナンス": "resonance", "アタック": "attack", "立ち上がり": "attack",
    "リリース": "release", "余韻": "release", "ディケイ": "decay", "減衰": "decay", "サステイン": "sustain",
    "サスティン": "sustain", "エンベロープ": "envelope", "ビブラート": "vibrato", "デチューン": "detune",
    "ユニゾン": "unison", "ステレオ": "stereo", "モノ": "mono", "サイドチェイン": "sidechain",
    "ゲート": "gated", "グライド": "glide", "ポルタメント": "portamento", "ピッチ": "pitch", "ベンド": "bend",
    "ビットクラッシャー": "bitcrush", "トレモロ": "tremolo", "ワウ": "wah", "ボコーダ": "vocoder",
}

#: Words that carry no sound meaning in a query ("like ...", "-ish", "kind of", "a sound of").
GRAMMAR = {
    "ような": "", "ように": "", "みたいな": "", "みたい": "", "っぽい": "", "ぽい": "", "系": "",
    "感じ": "", "かんじ": "", "音色": "", "音": "sound", "サウンド": "sound",
    "楽器": "", "とても": "", "すごく": "", "ちょっと": "", "少し": "", "やや": "", "もっと": "",
    "そして": "", "および": "",
}

VOCABULARY: dict[str, str] = {**TIMBRE_ADJECTIVES, **INSTRUMENTS, **EFFECTS_AND_SHAPING, **GRAMMAR}
