// The voices the ElevenLabs fake lists by default: the seeded catalog (supabase/seed.sql) plus
// premade voices the seed lacks, enough for two pages at the default page_size of 10.
export interface FakeVoice {
  voice_id: string;
  name: string;
  category: string;
  labels: Record<string, string>;
  description?: string | null;
  /** Default: served by the fake at /previews/<voice_id>.mp3. */
  preview_url?: string | null;
}

const premade = (voice_id: string, name: string, gender: string, accent: string): FakeVoice => ({
  voice_id,
  name,
  category: 'premade',
  labels: { gender, accent, age: 'young', use_case: 'conversational' },
});

export const DEFAULT_FAKE_VOICES: readonly FakeVoice[] = [
  premade('21m00Tcm4TlvDq8ikWAM', 'Rachel', 'female', 'american'),
  premade('pNInz6obpgDQGcFmaJgB', 'Adam', 'male', 'american'),
  premade('EXAVITQu4vr4xnSDxMaL', 'Sarah', 'female', 'american'),
  premade('MF3mGyEYCl7XYWbV9V6O', 'Elli', 'female', 'american'),
  premade('TxGEqnHWrfWFTfGW9XjX', 'Josh', 'male', 'american'),
  premade('pFZP5JQG7iQjIQuC4Bku', 'Lily', 'female', 'british'),
  premade('nPczCjzI2devNBz1zQrb', 'Brian', 'male', 'american'),
  premade('AZnzlk1XvdvUeBnXmlld', 'Domi', 'female', 'american'),
  premade('ErXwobaYiN019PkySvjV', 'Antoni', 'male', 'american'),
  premade('VR6AewLTigWG4xSOukaG', 'Arnold', 'male', 'american'),
  premade('yoZ06aMxZJJ28mfd3POQ', 'Sam', 'male', 'american'),
  premade('ThT5KcBeYPX3keUQqHPh', 'Dorothy', 'female', 'british'),
];

/** The API key the fake accepts unless told otherwise. */
export const FAKE_ELEVEN_API_KEY = 'fake-eleven-key';
