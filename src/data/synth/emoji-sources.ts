/**
 * Corpus sources of emoji drawings: Noto emoji (PNG) and OpenMoji (SVG, with its own black line art), each emoji
 * captioned with its CLDR/OpenMoji name, aliases, tags and the plain category word of its subgroup. Twemoji is not
 * used here: it is a downstream task.
 */
import { emojiCategory, listNotoEmoji, loadNotoEmoji, NOTO_LICENCE, type NotoEmoji } from '../offline/emoji.js';
import { listOpenMoji, OPENMOJI_LICENCE, renderOpenMoji, type OpenMoji } from '../offline/openmoji.js';
import { readableName } from './captions.js';
import { mayFlip, namesWithAliases, runObjects, type ObjectItem } from './object-source.js';
import { selectItems, type CorpusSource } from './source.js';

const MAX_TAGS = 8;

function concept(name: string, tags: readonly string[], subgroup: string) {
  const readable = readableName(name);
  return {
    names: namesWithAliases(readable),
    tags: tags.map(readableName).filter((t) => t !== readable).slice(0, MAX_TAGS),
    category: emojiCategory(subgroup),
    kind: 'emoji' as const,
  };
}

export function notoSource(variants = 6): CorpusSource {
  return {
    name: 'noto',
    licence: NOTO_LICENCE,
    description: `Noto emoji (emoji-datasource-google 64x64 PNG), names and tags from emojibase-data; ${variants} images per emoji`,
    async run(ctx) {
      const items = selectItems(listNotoEmoji(), ctx.maxItems, ctx.seed, 'noto').map(
        (e: NotoEmoji): ObjectItem => ({
          id: e.id,
          concept: concept(e.name, e.tags, e.subgroup),
          allowFlip: mayFlip(e.name, e.subgroup, ...e.tags),
          load: (work) => loadNotoEmoji(e, work),
        }),
      );
      await runObjects('noto', items, variants, ctx);
    },
  };
}

export function openMojiSource(variants = 4): CorpusSource {
  return {
    name: 'openmoji',
    licence: OPENMOJI_LICENCE,
    description: `OpenMoji colour SVGs and their black line art, annotations and tags from openmoji.json; ${variants} images per emoji`,
    async run(ctx) {
      const items = selectItems(listOpenMoji(), ctx.maxItems, ctx.seed, 'openmoji').map(
        (e: OpenMoji): ObjectItem => ({
          id: e.id,
          concept: concept(e.name, e.tags, e.subgroup),
          allowFlip: mayFlip(e.name, e.subgroup, ...e.tags),
          load: (work) => renderOpenMoji(e, work, 'color'),
          lineArt: (work) => renderOpenMoji(e, work, 'black'),
        }),
      );
      await runObjects('openmoji', items, variants, ctx);
    },
  };
}
