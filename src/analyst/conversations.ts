// Chat conversations kept per run, bounded in runs, conversations per run and messages per conversation.
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ChatMessage } from '../llm/provider.ts';

export interface ConversationLimits {
  runs: number;
  perRun: number;
  messages: number;
}

export const CONVERSATION_LIMITS: ConversationLimits = { runs: 500, perRun: 20, messages: 20 };

export class Conversations {
  private readonly runs: LRUCache<string, LRUCache<string, ChatMessage[]>>;

  constructor(readonly limits: ConversationLimits = CONVERSATION_LIMITS) {
    this.runs = new LRUCache({ max: limits.runs });
  }

  private of(run: string): LRUCache<string, ChatMessage[]> {
    let convs = this.runs.get(run);
    if (!convs) {
      convs = new LRUCache({ max: this.limits.perRun });
      this.runs.set(run, convs);
    }
    return convs;
  }

  /** The conversation's messages so far (empty for a new or forgotten one) and its id. */
  open(run: string, id?: string): { id: string; messages: ChatMessage[] } {
    const convId = id ?? randomUUID();
    return { id: convId, messages: this.of(run).get(convId)?.slice() ?? [] };
  }

  append(run: string, id: string, ...messages: ChatMessage[]): void {
    const convs = this.of(run);
    const list = [...(convs.get(id) ?? []), ...messages];
    convs.set(id, list.slice(-this.limits.messages));
  }

  get(run: string, id: string): ChatMessage[] | undefined {
    return this.runs.get(run)?.get(id)?.slice();
  }
}
