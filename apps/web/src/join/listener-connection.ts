import type { FeedbackAck, ListenerCrop, ListenerFeedback, ListenerJoined, ListenerState, ReadingAck } from "@emotion/protocol";
import { ApiError } from "../shared/api";
import { ACK_TIMEOUT_MS, closeSocket, connectSocket, unwrapAck, type AppSocket } from "../shared/socket";
import { forgetParticipant, loadParticipant, saveParticipant } from "../shared/storage";
import type { CropTransport } from "./capture-loop";

export type ConnectionStatus = "connecting" | "joined" | "reconnecting" | "ended" | "failed";

export interface ConnectionEvents {
  onStatus(status: ConnectionStatus, message?: string): void;
  onJoined(joined: ListenerJoined): void;
  onRate(rateHz: number): void;
}

const DEFAULT_RATE_HZ = 4;

/**
 * The listener's socket: joins on every (re)connect with the identity kept in sessionStorage, so a
 * network drop or a reload resumes the same participant; replays a paused state after a rejoin.
 */
export class ListenerConnection implements CropTransport {
  rateHz = DEFAULT_RATE_HZ;
  private readonly socket: AppSocket;
  private isJoined = false;
  private desired: ListenerState["state"] = "active";

  constructor(
    private readonly code: string,
    private readonly name: string,
    private readonly events: ConnectionEvents,
  ) {
    this.socket = connectSocket();
    this.socket.on("connect", () => void this.join());
    this.socket.on("disconnect", (reason) => {
      this.isJoined = false;
      // "io client disconnect" is our own close(); anything else is a drop that socket.io retries.
      if (reason !== "io client disconnect") this.events.onStatus("reconnecting");
    });
    this.socket.on("session:config", ({ rateHz }) => {
      this.rateHz = rateHz;
      this.events.onRate(rateHz);
    });
    this.socket.on("session:status", ({ status }) => {
      if (status === "ended") this.end();
    });
  }

  canSend(): boolean {
    return this.isJoined && this.socket.connected;
  }

  async send(payload: ListenerCrop): Promise<ReadingAck> {
    return unwrapAck(await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("listener:crop", payload));
  }

  /** Sends a correction of one of our readings; not queued: the listener sees the answer or the error. */
  async sendFeedback(payload: ListenerFeedback): Promise<FeedbackAck> {
    if (!this.canSend()) throw new ApiError("NOT_READY", "You are not connected right now. Try again in a moment.");
    return unwrapAck(await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("listener:feedback", payload));
  }

  /** Tells the server whether we are active, paused or without camera; replayed after each rejoin. */
  async setState(state: ListenerState["state"]): Promise<void> {
    this.desired = state;
    if (!this.canSend()) return;
    unwrapAck(await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("listener:state", { v: 1, state }));
  }

  async leave(): Promise<void> {
    try {
      if (this.socket.connected) await this.socket.timeout(3000).emitWithAck("listener:leave", { v: 1 });
    } finally {
      forgetParticipant(this.code);
      this.close();
    }
  }

  close(): void {
    this.isJoined = false;
    closeSocket(this.socket);
  }

  private end(): void {
    forgetParticipant(this.code);
    this.close();
    this.events.onStatus("ended");
  }

  private async join(isRetry = false): Promise<void> {
    const identity = loadParticipant(this.code);
    const name = this.name.trim();
    try {
      const response = await this.socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck("listener:join", { v: 1, code: this.code, ...(name ? { name } : {}), ...(identity ?? {}) });
      const joined = unwrapAck(response);
      saveParticipant(this.code, { participantId: joined.participantId, participantToken: joined.participantToken });
      this.rateHz = joined.rateHz || DEFAULT_RATE_HZ;
      this.isJoined = true;
      this.events.onJoined(joined);
      this.events.onStatus("joined");
      if (this.desired !== "active") await this.setState(this.desired).catch(() => undefined);
    } catch (error) {
      if (error instanceof ApiError && error.code === "SESSION_ENDED") return this.end();
      if (error instanceof ApiError && identity && !isRetry) {
        // The saved identity was refused (expired, other session): join as a new participant.
        forgetParticipant(this.code);
        return this.join(true);
      }
      if (error instanceof ApiError) return this.events.onStatus("failed", error.message);
      // An ack timeout: try again while the socket is still up.
      window.setTimeout(() => {
        if (this.socket.connected && !this.isJoined) void this.join(isRetry);
      }, 1000);
    }
  }
}
