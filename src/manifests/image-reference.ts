// Container image references: `registry:5000/team/app:1.2@sha256:…`. A registry port is not a tag.

export interface ImageReference {
  /** Everything before the tag and digest: `registry:5000/team/app`. */
  name: string;
  tag?: string;
  digest?: string;
}

export function parseImageReference(image: string): ImageReference {
  const [withoutDigest = '', digest] = image.split('@', 2);
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return {
    name: colon === -1 ? withoutDigest : withoutDigest.slice(0, colon),
    ...(colon === -1 ? {} : { tag: withoutDigest.slice(colon + 1) }),
    ...(digest === undefined ? {} : { digest }),
  };
}
